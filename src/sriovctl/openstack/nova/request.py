"""PCI requests and how a request spec matches a pool (``pci_device_prop_match``).

A request (nova's ``InstancePCIRequest``) asks for ``count`` devices matching
*any* of its ``spec`` dicts; a spec dict matches a pool when *every* key does:
lists by inclusion, everything else by ``==`` after lowercasing strings. So
``"PhysNet1"`` matches ``"physnet1"``, a JSON ``true`` never matches ``"True"``,
and ``numa_node`` 0 never matches ``"0"``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, Optional

from sriovctl.openstack.nova.errors import NovaUnhandledError
from sriovctl.openstack.nova.strutils import bool_from_string

#: ``InstancePCIRequest.source`` values (nova derives it from ``alias_name``).
FLAVOR_ALIAS = "flavor_alias"
NEUTRON_PORT = "neutron_port"

#: vnic_types nova turns into a PCI request (``network_model.VNIC_TYPES_SRIOV``).
VNIC_TYPES_SRIOV = (
    "direct",
    "macvtap",
    "direct-physical",
    "virtio-forwarder",
    "vdpa",
    "remote-managed",
)
#: vnic_types that pin the device type; the others leave ``dev_type`` out.
DEVICE_TYPE_FOR_VNIC_TYPE = MappingProxyType({"direct-physical": "type-PF", "vdpa": "vdpa"})

NUMA_POLICIES = ("required", "legacy", "preferred", "socket")


_UNSET: Any = object()
_FIELDS = ("alias_name", "count", "is_new", "numa_policy", "request_id", "requester_id", "spec")


def _coerce_string(attr: str, value: Any) -> str:
    # oslo.versionedobjects String: numbers become text, anything else is refused.
    if isinstance(value, (int, float, str)):
        return str(value)
    raise ValueError(f"A string is required in field {attr}, not a {type(value).__name__}")


def _coerce_spec(value: Any) -> list[dict[str, Optional[str]]]:
    # ListOfDictOfNullableStringsField: every spec value is stored as a string,
    # so {"numa_node": 0} is the string "0" and never equals a pool's integer 0.
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"A list is required in field spec, not a {type(value).__name__}")
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, dict):
            raise ValueError(f"A dict is required in field spec[{i}], not a {type(item).__name__}")
        out.append(
            {
                key: None if val is None else _coerce_string(f"spec[{i}][{key}]", val)
                for key, val in item.items()
            }
        )
    return out


def _stringify(field: str, value: Any) -> str:
    """oslo.versionedobjects' rendering of one field value in an object repr."""
    if value is None:
        return "None"
    if field == "spec":
        dicts = (
            "{" + ",".join(f"{k}={_stringify('str', v)}" for k, v in sorted(d.items())) + "}"
            for d in value
        )
        return "[" + ",".join(dicts) + "]"
    if field in ("count", "is_new", "request_id"):
        return str(value)
    return f"'{value}'"


class PciRequest:
    """nova's ``InstancePCIRequest``: ``count`` devices matching any dict in ``spec``.

    Values are coerced as nova's object fields coerce them (``count`` to int,
    spec values to strings, ``numa_policy`` checked against the four
    policies); a value nova refuses raises NovaUnhandledError(ValueError).
    Like a nova object, a field never given reads as None once accessed
    (``repr`` shows ``<?>`` until then, as nova's error messages do).
    """

    def __init__(
        self,
        count: Any,
        spec: Any,
        numa_policy: Any = _UNSET,
        alias_name: Any = _UNSET,
        request_id: Any = _UNSET,
        requester_id: Any = _UNSET,
        is_new: Any = _UNSET,
    ):
        self._values: dict[str, Any] = {}
        try:
            if count is None:
                raise ValueError("Field `count' cannot be None")
            self._values["count"] = int(count)
            self._values["spec"] = _coerce_spec(spec)
            if numa_policy is not _UNSET:
                if numa_policy is not None and numa_policy not in NUMA_POLICIES:
                    raise ValueError(f"Field value {numa_policy} is invalid")
                self._values["numa_policy"] = numa_policy
            for name, value in (
                ("alias_name", alias_name),
                ("request_id", request_id),
                ("requester_id", requester_id),
            ):
                if value is not _UNSET:
                    self._values[name] = None if value is None else _coerce_string(name, value)
            if is_new is not _UNSET:
                self._values["is_new"] = bool(is_new)
        except (TypeError, ValueError) as exc:
            raise NovaUnhandledError(exc) from exc

    def _get(self, name: str) -> Any:
        # nova's obj_load_attr: reading an unset field sets it to None.
        return self._values.setdefault(name, None)

    count = property(lambda self: self._get("count"))
    spec = property(lambda self: self._get("spec"))
    numa_policy = property(lambda self: self._get("numa_policy"))
    alias_name = property(lambda self: self._get("alias_name"))
    request_id = property(lambda self: self._get("request_id"))
    requester_id = property(lambda self: self._get("requester_id"))

    def is_set(self, name: str) -> bool:
        """nova's ``name in request``: was the field given (or read)?"""
        return name in self._values

    @property
    def source(self) -> str:
        """nova: a request without an alias name comes from a neutron port."""
        return NEUTRON_PORT if self.alias_name is None else FLAVOR_ALIAS

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PciRequest:
        """Build from ``{"count", "spec", "numa_policy"?, "alias_name"?, "request_id"?, ...}``."""
        known = ("numa_policy", "alias_name", "request_id", "requester_id", "is_new")
        try:
            count, spec = data["count"], data["spec"]
        except KeyError as exc:
            raise NovaUnhandledError(exc) from exc
        return cls(count, spec, **{k: data[k] for k in known if k in data})

    def __repr__(self) -> str:
        shown = (
            f"{name}={_stringify(name, self._values[name]) if name in self._values else '<?>'}"
            for name in _FIELDS
        )
        return f"InstancePCIRequest({','.join(shown)})"


def prop_match(pool: Mapping[str, Any], specs: Sequence[Mapping[str, Any]]) -> bool:
    """nova's ``pci_device_prop_match``: does ``pool`` satisfy any of ``specs``?"""

    def matches(spec: Mapping[str, Any]) -> bool:
        for key, wanted in spec.items():
            have = pool.get(key)
            if isinstance(wanted, list) and isinstance(have, list):
                if not all(x in have for x in wanted):
                    return False
            else:
                # Tags come from operators and ports in any case: compare lowercased.
                if isinstance(wanted, str):
                    wanted = wanted.lower()
                if isinstance(have, str):
                    have = have.lower()
                if have != wanted:
                    return False
        return True

    return any(matches(spec) for spec in specs)


def as_request(request: PciRequest | Mapping[str, Any]) -> PciRequest:
    return request if isinstance(request, PciRequest) else PciRequest.from_dict(request)


def request_for_port(
    vnic_type: str,
    physical_network: Optional[str],
    *,
    trusted: Any = None,
    numa_policy: Optional[str] = None,
    port_id: Optional[str] = None,
) -> PciRequest | None:
    """The request nova builds for a neutron port, or None for a non-SR-IOV vnic_type.

    ``physical_network`` is the network's physnet (None for a tunnelled
    network); ``trusted`` the port's ``binding:profile["trusted"]`` if set;
    ``numa_policy`` the port's policy, else the flavor's or image's.
    """
    if vnic_type not in VNIC_TYPES_SRIOV:
        return None
    spec: dict[str, Any] = {
        "physical_network": physical_network,
        "remote_managed": str(vnic_type == "remote-managed"),
    }
    dev_type = DEVICE_TYPE_FOR_VNIC_TYPE.get(vnic_type)
    if dev_type:
        spec["dev_type"] = dev_type
    if trusted is not None:
        spec["trusted"] = str(bool_from_string(trusted))
    request = PciRequest(1, [spec], request_id=str(uuid.uuid4()), requester_id=port_id)
    if numa_policy:  # nova sets it only when the port, flavor or image has one
        request = PciRequest(
            1, [spec], numa_policy, request_id=request.request_id, requester_id=port_id
        )
    return request

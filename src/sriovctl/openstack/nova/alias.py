"""``[pci]alias`` and the flavor's ``pci_passthrough:alias`` (``nova/pci/request.py``).

Each alias option value is **one** JSON dict (repeat the option for more; a
list is rejected). Values with the same ``name`` are merged into one alias
whose specs are ORed; they must agree on ``numa_policy`` and ``device_type``.
``device_type`` becomes the spec key ``dev_type``; every other key except
``name`` and ``numa_policy`` stays in the spec and must then match a pool.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple, Optional

from sriovctl.openstack.nova.errors import (
    NovaPciError,
    NovaUnhandledError,
    PciInvalidAlias,
    PciRequestAliasNotDefined,
)
from sriovctl.openstack.nova.request import PciRequest
from sriovctl.openstack.nova.strutils import bool_from_string

_VENDOR_PATTERN = r"^([\da-fA-F]{4})$"


def alias_schema() -> dict[str, Any]:
    """nova's JSON schema for one alias value (a fresh dict: jsonschema wants a real dict)."""
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 256},
            "capability_type": {"type": "string", "enum": ["pci"]},
            "product_id": {"type": "string", "pattern": _VENDOR_PATTERN},
            "vendor_id": {"type": "string", "pattern": _VENDOR_PATTERN},
            # vdpa is left out on purpose by nova: aliases cannot request vDPA.
            "device_type": {"type": "string", "enum": ["type-PCI", "type-PF", "type-VF"]},
            "numa_policy": {
                "type": "string",
                "enum": ["required", "legacy", "preferred", "socket"],
            },
            "resource_class": {"type": "string"},
            "traits": {"type": "string"},
            "live_migratable": {"type": "string"},
        },
        "required": ["name"],
    }


#: The flavor extra spec the API accepts (``nova/api/validation/extra_specs/pci_passthrough``).
FLAVOR_ALIAS_PATTERN = r"[^:]+:\d+(?:\s*,\s*[^:]+:\d+)*"


class Alias(NamedTuple):
    """One merged alias, shaped like nova's ``(numa_policy, specs)`` tuple."""

    numa_policy: str
    specs: list[dict[str, Any]]


def parse_aliases(values: Iterable[str], *, pci_in_placement: bool = False) -> dict[str, Alias]:
    """Parse and validate all ``[pci]alias`` values (nova's ``get_alias_from_config``).

    ``pci_in_placement`` is ``[filter_scheduler]pci_in_placement``: with it, an
    alias may have only one spec, and a resource_class can replace the ids.
    """
    import jsonschema  # heavy; only alias parsing needs it

    aliases: dict[str, Alias] = {}
    schema = alias_schema()
    try:
        for text in values:
            if not isinstance(text, (str, bytes)):
                raise TypeError(f"{type(text)} can't be decoded")
            spec = json.loads(text)
            jsonschema.validate(spec, schema)
            _add_alias(aliases, spec)
    except PciInvalidAlias:
        raise
    except jsonschema.exceptions.ValidationError as exc:
        raise PciInvalidAlias(reason=exc.message) from None
    except Exception as exc:  # nova wraps anything else, even a KeyError, the same way
        raise PciInvalidAlias(reason=str(exc)) from None
    _validate_aliases(aliases, pci_in_placement)
    return aliases


def _add_alias(aliases: dict[str, Alias], spec: dict[str, Any]) -> None:
    name = spec.pop("name").strip()
    numa_policy = spec.pop("numa_policy", None) or "legacy"
    dev_type = spec.pop("device_type", None)
    if dev_type:
        spec["dev_type"] = dev_type
    live_migratable = spec.pop("live_migratable", None)
    if live_migratable is not None:
        spec["live_migratable"] = (
            "true" if bool_from_string(live_migratable, strict=True) else "false"
        )
    if name not in aliases:
        aliases[name] = Alias(numa_policy, [spec])
        return
    if aliases[name].numa_policy != numa_policy:
        raise PciInvalidAlias(reason=f"NUMA policy mismatch for alias '{name}'")
    # nova indexes dev_type directly: merging aliases without device_type is a
    # KeyError, reported as PciInvalidAlias "'dev_type'".
    if aliases[name].specs[0]["dev_type"] != spec["dev_type"]:
        raise PciInvalidAlias(reason=f"Device type mismatch for alias '{name}'")
    aliases[name].specs.append(spec)


def _validate_aliases(aliases: Mapping[str, Alias], pci_in_placement: bool) -> None:
    # These two are raised with a bare message, without nova's usual prefix.
    if pci_in_placement:
        multi = [name for name, alias in aliases.items() if len(alias.specs) > 1]
        if multi:
            raise PciInvalidAlias(
                f"The PCI alias(es) {','.join(multi)} have multiple specs but "
                "[filter_scheduler]pci_in_placement is True. The PCI in "
                "Placement feature only supports one spec per alias. You can "
                "assign the same resource_class to multiple [pci]device_spec "
                "matchers to allow using different devices for the same alias."
            )
    missing = sorted(
        name
        for name, alias in aliases.items()
        for spec in alias.specs
        if not ("vendor_id" in spec and "product_id" in spec)
        and not (pci_in_placement and "resource_class" in spec)
    )
    if missing:
        tail = " or resource_class field set." if pci_in_placement else "."
        raise PciInvalidAlias(
            f"The PCI alias(es) {','.join(dict.fromkeys(missing))} does not have vendor_id "
            f"and product_id fields set{tail}"
        )


def translate_alias_to_requests(
    alias_spec: str, aliases: Mapping[str, Alias], affinity_policy: Optional[str] = None
) -> list[PciRequest]:
    """``"name:count[, name:count]"`` -> requests (nova's ``_translate_alias_to_requests``)."""
    import uuid

    try:
        pairs = [item.split(":") for item in alias_spec.split(",")]
        requests = []
        for name, count in pairs:
            name = name.strip()
            if name not in aliases:
                raise PciRequestAliasNotDefined(alias=name)
            numa_policy, specs = aliases[name]
            requests.append(
                PciRequest(
                    int(count),
                    specs,
                    numa_policy=affinity_policy or numa_policy,
                    alias_name=name,
                    request_id=str(uuid.uuid4()),
                )
            )
    except NovaPciError:
        raise
    except Exception as exc:  # the API's extra-spec validator rejects these first
        raise NovaUnhandledError(
            exc, fix=f"write pci_passthrough:alias as {FLAVOR_ALIAS_PATTERN}"
        ) from exc
    return requests


def requests_from_flavor(
    extra_specs: Mapping[str, Any],
    aliases: Mapping[str, Alias],
    affinity_policy: Optional[str] = None,
) -> list[PciRequest]:
    """The requests of a flavor's ``pci_passthrough:alias`` extra spec ([] if absent)."""
    if "pci_passthrough:alias" not in extra_specs:
        return []
    return translate_alias_to_requests(
        extra_specs["pci_passthrough:alias"], aliases, affinity_policy
    )

"""One ``[pci]device_spec`` entry, parsed and matched as nova's ``PciDeviceSpec`` does.

Construction follows nova's order of checks, which decides which error an
operator sees first: vendor_id, product_id, devname-and-address, the address
itself (and the host's "is this a PF" answer), devname resolution, the boolean
tags, one_time_use, then the remote_managed PF checks.

Every key other than ``vendor_id``, ``product_id``, ``devname`` and ``address``
stays a *tag* with its JSON value; tags become pool keys that requests must match.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Optional

from sriovctl.openstack.nova.address import (
    ANY,
    MAX_PRODUCT_ID,
    MAX_VENDOR_ID,
    AddressParser,
    PhysicalPciAddress,
    WhitelistAddress,
    normalize_hex,
)
from sriovctl.openstack.nova.errors import (
    NovaPciError,
    NovaUnhandledError,
    PciConfigInvalidSpec,
    PciDeviceInvalidDeviceName,
    PciDeviceInvalidPFRemoteManaged,
    PciDeviceNotFoundById,
    PciDeviceRemoteManagedNotPresent,
)
from sriovctl.openstack.nova.host import NO_HOST, HostLookup
from sriovctl.openstack.nova.strutils import bool_from_string

#: Tags nova normalises to the strings "true"/"false" (strictly parsed).
BOOLEAN_TAGS = ("managed", "live_migratable", "one_time_use")
#: Tags copied from the matching spec into the device nova records.
DEVICE_TAGS = ("managed", "live_migratable")

_REMOTE_MANAGED_PF_FIX = (
    "nova looks this PF up in sysfs under the text of its address object (a PCI address "
    'only when the PF is named by "devname") and then reads <PF>/product, a file Linux '
    "does not have, so this fails on real hosts; select the VFs by their own vendor_id "
    "and product_id instead"
)


@dataclass(frozen=True)
class SpecOrigin:
    """Where an entry came from: the n-th option value (``line``) and the n-th dict in it."""

    line: int
    entry: Optional[int] = None

    def __str__(self) -> str:
        text = f"device_spec #{self.line + 1}"
        return text if self.entry is None else f"{text} entry {self.entry + 1}"


class DeviceSpec:
    """A parsed device_spec dict (nova's ``PciDeviceSpec``).

    ``conf`` is the dict as written; ``tags`` what is left after the
    matching keys were taken out (with managed/live_migratable/one_time_use
    normalised); ``vendor_id``/``product_id`` are normalised hex or ``*``.
    """

    def __init__(
        self,
        dev_spec: Mapping[str, Any],
        *,
        host: HostLookup = NO_HOST,
        report_in_placement: bool = False,
        origin: SpecOrigin | None = None,
    ):
        self.host = host
        self.origin = origin
        if not isinstance(dev_spec, Mapping):
            raise PciConfigInvalidSpec(reason=f"Invalid entry: '{dev_spec}'; Expecting dict")
        try:
            self.conf = copy.deepcopy(dict(dev_spec))
            self.tags: dict[str, Any] = copy.deepcopy(dict(dev_spec))
            self._init_dev_details(report_in_placement)
        except NovaPciError as exc:
            exc.origin = origin
            raise
        except Exception as exc:  # nova itself would crash here
            err = NovaUnhandledError(exc)
            err.origin = origin
            raise err from exc

    def _init_dev_details(self, report_in_placement: bool) -> None:
        tags = self.tags
        vendor_id = tags.pop("vendor_id", ANY)
        product_id = tags.pop("product_id", ANY)
        self.dev_name: Any = tags.pop("devname", None)
        self.address: WhitelistAddress | None = None
        address = tags.pop("address", None)

        self.vendor_id = normalize_hex("vendor_id", vendor_id.strip(), MAX_VENDOR_ID, "%04x")
        self.product_id = normalize_hex("product_id", product_id, MAX_PRODUCT_ID, "%04x")

        if address and self.dev_name:
            raise PciDeviceInvalidDeviceName()
        if not self.dev_name:
            # A falsy address (absent, "", null, 0, {}) means every address.
            self.address = WhitelistAddress(address or "*:*:*.*", False, self.host)

        address_obj = self._address_obj()
        self._remote_managed = bool_from_string(tags.get("remote_managed"))
        for tag in BOOLEAN_TAGS:
            self._normalize_tag(tag)

        if tags.get("one_time_use") == "true" and not report_in_placement:
            raise PciConfigInvalidSpec(
                reason="one_time_use=true requires pci.report_in_placement to be enabled",
                fix="set [pci]report_in_placement = True or drop one_time_use",
            )
        if self._remote_managed:
            self._check_remote_managed(address_obj)
        self._match = self._match_devname if self.dev_name else self._compile_match()

    def _normalize_tag(self, tag: str) -> None:
        if self.tags.get(tag) is not None:
            try:
                value = bool_from_string(self.tags[tag], strict=True)
            except ValueError as exc:
                raise PciConfigInvalidSpec(reason=f"Cannot parse tag '{tag}': {exc}") from None
            self.tags[tag] = "true" if value else "false"

    def _check_remote_managed(self, address_obj: WhitelistAddress | None) -> None:
        # remote_managed (a DPU) applies to VFs; a PF address is accepted only
        # when the spec's ids are those of the PF's VFs.
        if address_obj is None:
            raise PciDeviceRemoteManagedNotPresent()
        if not address_obj.is_physical_function:
            return
        pf_addr = address_obj.pci_address_spec.nova_str()  # type: ignore[attr-defined]
        try:
            vf_product_id = self.host.get_vf_product_id_by_pf_addr(pf_addr)
            pf_vendor_id, pf_product_id = self.host.get_pci_ids_by_pci_addr(pf_addr)
        except PciDeviceNotFoundById as exc:
            exc.fix = _REMOTE_MANAGED_PF_FIX
            raise
        if self.product_id == vf_product_id and self.vendor_id in (pf_vendor_id, ANY):
            return
        if self.product_id in (pf_product_id, ANY) and self.vendor_id in (pf_vendor_id, ANY):
            raise PciDeviceInvalidPFRemoteManaged(pf_addr)
        raise PciConfigInvalidSpec(
            reason=(
                f"the specified VF vendor ID {self.vendor_id} and product ID {self.product_id} "
                "do not match the expected VF IDs based on the corresponding PF identified by "
                f"PCI address {pf_addr}"
            ),
            fix=f"use vendor_id {pf_vendor_id} and the VF product_id {vf_product_id}",
        )

    def _address_obj(self) -> WhitelistAddress | None:
        """The address to match; for a devname, asked of the host on every call, like nova."""
        if not self.dev_name:
            return self.address
        address_str, is_pf = self.host.get_function_by_ifname(self.dev_name)
        if not address_str:
            return None
        return WhitelistAddress(address_str, is_pf, self.host)

    # -- matching ----------------------------------------------------------

    def match(self, dev: Mapping[str, Any], parse: AddressParser = PhysicalPciAddress) -> bool:
        """Does this entry select ``dev`` (a libvirt-style device dict)?

        Like nova, all four conditions are evaluated, so a malformed device
        address raises even when the ids already differ.
        """
        try:
            return self._match(dev, parse)
        except NovaPciError:
            raise
        except Exception as exc:
            raise NovaUnhandledError(exc) from exc

    def _match_devname(self, dev: Mapping[str, Any], parse: AddressParser) -> bool:
        address_obj = self._address_obj()
        if not address_obj:
            return False
        vendor_ok = self.vendor_id in (ANY, dev["vendor_id"])
        product_ok = self.product_id in (ANY, dev["product_id"])
        address_ok = address_obj.match(dev["address"], dev.get("parent_addr"), parse)
        serial_ok = self._has_serial(dev) if self._remote_managed else True
        return vendor_ok and product_ok and address_ok and serial_ok

    def _compile_match(self):
        """``_match_devname`` specialised for a fixed address, with everything bound once.

        Same checks in the same order (matching a whole host is the hot
        path): every condition is still evaluated, so a bad device address
        raises here exactly when nova raises.
        """
        vendor, product = self.vendor_id, self.product_id
        any_vendor, any_product = vendor == ANY, product == ANY
        address_obj = self.address
        spec_match = address_obj.pci_address_spec.match  # type: ignore[union-attr]
        is_pf = address_obj.is_physical_function  # type: ignore[union-attr]
        has_serial = self._has_serial if self._remote_managed else None

        def match(dev: Mapping[str, Any], parse: AddressParser) -> bool:
            # Read every key first: a missing one is a KeyError in nova even for "*".
            dev_vendor, dev_product, address = dev["vendor_id"], dev["product_id"], dev["address"]
            vendor_ok = any_vendor or vendor == dev_vendor
            product_ok = any_product or product == dev_product
            parent = dev.get("parent_addr")
            # A PF address matches its VFs through their parent address first.
            if is_pf and parent and spec_match(parse(parent)):
                address_ok = True
            else:
                address_ok = spec_match(parse(address))
            if has_serial is not None and not has_serial(dev):
                return False
            return vendor_ok and product_ok and address_ok

        return match

    @staticmethod
    def _has_serial(dev: Mapping[str, Any]) -> bool:
        # A remote-managed device must be identifiable by its card serial (VPD).
        return bool(dev.get("capabilities", {}).get("vpd", {}).get("card_serial_number"))

    def match_pci_obj(self, pci_obj: Mapping[str, Any]) -> bool:
        """Match a nova ``PciDevice`` given as a dict of its fields."""
        return self.match(pci_obj_match_dict(pci_obj))

    # -- what a linter wants to know -----------------------------------------

    def get_tags(self) -> dict[str, Any]:
        return self.tags

    @property
    def remote_managed(self) -> bool:
        return self._remote_managed

    @property
    def physical_network(self) -> Any:
        return self.tags.get("physical_network")

    @property
    def address_kind(self) -> str:
        """How the entry names devices: ``"devname"``, ``"glob"`` or ``"regex"``."""
        if self.dev_name:
            return "devname"
        return self.address.kind if self.address else "glob"

    @property
    def pf_address(self) -> str | None:
        """The PF this entry's address names, if any: it then selects the PF *and* its VFs."""
        address_obj = self._address_obj()
        if address_obj is None or not address_obj.is_physical_function:
            return None
        return str(address_obj.pci_address_spec)

    def enhanced_device(self, dev: Mapping[str, Any]) -> dict[str, Any]:
        """``dev`` plus this spec's managed/live_migratable tags, as nova records it."""
        out = dict(dev)
        for tag in DEVICE_TAGS:
            if self.tags.get(tag) is not None:
                out[tag] = self.tags[tag]
        return out

    def __repr__(self) -> str:
        where = f" at {self.origin}" if self.origin else ""
        return f"<DeviceSpec{where} {json.dumps(self.conf, sort_keys=True, default=str)}>"


def pci_obj_match_dict(pci_obj: Mapping[str, Any]) -> dict[str, Any]:
    """The dict nova's ``match_pci_obj`` builds from a PciDevice.

    The card serial comes from ``capabilities`` as given to ``PciDevice.create``
    (nova keeps a string as is and JSON-encodes anything else) or from the JSON
    text nova stores in ``extra_info["capabilities"]``. A ``null`` there makes
    nova fail, and so does this.
    """
    if "capabilities" in pci_obj:
        caps = pci_obj["capabilities"]
        if isinstance(caps, (str, bytes)):
            caps = json.loads(caps)
    else:
        caps = json.loads((pci_obj.get("extra_info") or {}).get("capabilities", "{}"))
    serial = caps.get("vpd", {}).get("card_serial_number")
    return {
        "vendor_id": pci_obj.get("vendor_id"),
        "product_id": pci_obj.get("product_id"),
        "address": pci_obj.get("address"),
        "parent_addr": pci_obj.get("parent_addr"),
        "capabilities": {"vpd": {"card_serial_number": serial}},
    }

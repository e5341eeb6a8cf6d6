"""PCI addresses as nova's device_spec reads them (``nova/pci/devspec.py``).

Three forms, each exposing the text fields ``domain``, ``bus``, ``slot``, ``func``:

* :class:`PhysicalPciAddress` — one exact address (a device's own ``address`` or
  ``parent_addr``, or a PF found by devname). Fields are validated and
  re-rendered as lowercase zero-padded hex (4/2/2/1 digits).
* :class:`PciAddressGlobSpec` — the string form of ``"address"`` in a spec:
  ``[[[[domain]:]bus]:][slot][.[func]]`` with ``*`` wildcards.
* :class:`PciAddressRegexSpec` — the dict form: one Python regex per field,
  applied with ``re.match``, i.e. anchored at the start **only**.

:class:`WhitelistAddress` wraps one of them with the "this names a PF" flag
that makes a PF address also select the PF's VFs.
"""

from __future__ import annotations

import abc
import re
import string
from collections.abc import Callable
from operator import itemgetter
from typing import Any

from sriovctl.openstack.nova.errors import PciConfigInvalidSpec, PciDeviceWrongAddressFormat

MAX_VENDOR_ID = 0xFFFF
MAX_PRODUCT_ID = 0xFFFF
MAX_FUNC = 0x7
MAX_DOMAIN = 0xFFFF
MAX_BUS = 0xFF
MAX_SLOT = 0x1F
ANY = "*"
REGEX_ANY = ".*"

_HEXDIGITS = frozenset(string.hexdigits)
_PCI_ADDRESS_RE = re.compile(r"^([\da-fA-F]{4}):([\da-fA-F]{2}):([\da-fA-F]{2}).([0-7]{1})$")

#: Parses a device address string into a PhysicalPciAddress (may be a cache).
AddressParser = Callable[[Any], "PhysicalPciAddress"]


def normalize_hex(prop: str, raw: Any, maxval: int, fmt: str) -> Any:
    """nova's ``_set_pci_dev_info``: validate one hex field and re-render it.

    ``*`` passes unchanged; anything ``int(raw, 16)`` accepts (``0x`` prefix,
    blanks, ``_``, a sign) is rendered with ``fmt``, so ``-1`` becomes ``-001``.
    """
    if raw == ANY:
        return raw
    try:
        value = int(raw, 16)
    except ValueError:
        raise PciConfigInvalidSpec(
            reason=f"property {prop} ('{raw}') does not parse as a hex number."
        ) from None
    if value > maxval:
        raise PciConfigInvalidSpec(
            reason=f"property {prop} ({raw}) is greater than the maximum allowable value "
            f"({maxval:X})."
        )
    return fmt % value


def get_pci_address_fields(pci_addr: str) -> tuple[str, str, str, str]:
    """Split ``domain:bus:slot.func`` without validating (``ValueError`` unless 3 ``:`` parts)."""
    dbs, _sep, func = pci_addr.partition(".")
    domain, bus, slot = dbs.split(":")
    return domain, bus, slot, func


def parse_address(address: str) -> tuple[str, ...]:
    """nova's strict ``parse_address``; note its unescaped ``.`` accepts any character."""
    match = _PCI_ADDRESS_RE.match(address)
    if not match:
        raise PciDeviceWrongAddressFormat(address=address)
    return match.groups()


class PciAddressSpec(abc.ABC):
    """The four text fields every address form exposes (abstract, like nova's)."""

    __slots__ = ("domain", "bus", "slot", "func")

    domain: Any
    bus: Any
    slot: Any
    func: Any

    @property
    def fields(self) -> tuple[Any, Any, Any, Any]:
        return (self.domain, self.bus, self.slot, self.func)

    @abc.abstractmethod
    def match(self, other: PciAddressSpec) -> bool: ...

    def is_single_address(self) -> bool:
        """True when every field is made of hex digits only (no wildcard, no regex)."""
        return all(all(c in _HEXDIGITS for c in field) for field in self.fields)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.domain!r}, {self.bus!r}, {self.slot!r}, {self.func!r})"

    def __str__(self) -> str:
        return f"{self.domain}:{self.bus}:{self.slot}.{self.func}"

    def nova_str(self) -> str:
        """What ``str()`` gives for nova's object.

        Only nova's PhysicalPciAddress defines ``__str__``; its glob and regex
        classes fall back to ``object.__repr__``. nova uses this text as the PF
        address of a remote_managed spec (sysfs path, error message), so a PF
        written as a string or dict address is looked up under a path like
        ``/sys/bus/pci/devices/<nova.pci.devspec.PciAddressGlobSpec object at 0x…>``.
        """
        return f"<nova.pci.devspec.{type(self).__name__} object at {id(self):#x}>"


class PhysicalPciAddress(PciAddressSpec):
    """One fully qualified address, from a string or a {domain,bus,slot,function} dict."""

    # A stored tuple rather than the base class property: device addresses are
    # compared against every spec entry, so this is the hot path.
    __slots__ = ("fields",)

    def __init__(self, pci_addr: Any):
        try:
            if isinstance(pci_addr, dict):
                domain, bus, slot = pci_addr["domain"], pci_addr["bus"], pci_addr["slot"]
                func = pci_addr["function"]
            else:
                domain, bus, slot, func = get_pci_address_fields(pci_addr)
            # nova validates the function first, so its error wins.
            self.func = normalize_hex("func", func, MAX_FUNC, "%1x")
            self.domain = normalize_hex("domain", domain, MAX_DOMAIN, "%04x")
            self.bus = normalize_hex("bus", bus, MAX_BUS, "%02x")
            self.slot = normalize_hex("slot", slot, MAX_SLOT, "%02x")
            self.fields = (self.domain, self.bus, self.slot, self.func)  # type: ignore[misc]
        except (KeyError, ValueError):
            raise PciDeviceWrongAddressFormat(address=pci_addr) from None

    def match(self, other: PciAddressSpec) -> bool:
        return self.fields == other.fields

    def nova_str(self) -> str:
        return str(self)


class PciAddressGlobSpec(PciAddressSpec):
    """The string form of a spec address; missing leading parts and blanks mean ``*``."""

    __slots__ = ("_pick", "_want")

    def __init__(self, pci_addr: str):
        self.domain = self.bus = self.slot = self.func = ANY
        dbs, _sep, func = pci_addr.partition(".")
        if func:
            # Everything after the first dot is the function, checked before the rest.
            self.func = normalize_hex("func", func.strip(), MAX_FUNC, "%01x")
        if dbs:
            pieces = dbs.split(":")
            if len(pieces) > 3:
                raise PciDeviceWrongAddressFormat(address=pci_addr)
            # Left-pad: one piece is the slot, two are bus:slot.
            pieces = [ANY] * (3 - len(pieces)) + pieces
            domain, bus, slot = (p.strip() or ANY for p in pieces)
            self.domain = normalize_hex("domain", domain, MAX_DOMAIN, "%04x")
            self.bus = normalize_hex("bus", bus, MAX_BUS, "%02x")
            self.slot = normalize_hex("slot", slot, MAX_SLOT, "%02x")
        # Matching compares only the non-wildcard fields: pick them out of the
        # device's field tuple in one C call and compare with what we want.
        fixed = [(i, v) for i, v in enumerate(self.fields) if v != ANY]
        self._pick = itemgetter(*[i for i, _ in fixed]) if fixed else None
        self._want = tuple(v for _, v in fixed) if len(fixed) != 1 else fixed[0][1]

    def match(self, other: PciAddressSpec) -> bool:
        return self._pick is None or self._pick(other.fields) == self._want


class PciAddressRegexSpec(PciAddressSpec):
    """The dict form of a spec address: ``re.match`` per field, missing keys are ``.*``."""

    __slots__ = ("_matchers",)

    def __init__(self, pci_addr: dict):
        self.domain = pci_addr.get("domain", REGEX_ANY)
        self.bus = pci_addr.get("bus", REGEX_ANY)
        self.slot = pci_addr.get("slot", REGEX_ANY)
        self.func = pci_addr.get("function", REGEX_ANY)
        try:
            compiled = [re.compile(p) for p in self.fields]
        except re.error:
            raise PciDeviceWrongAddressFormat(address=pci_addr) from None
        # ".*" matches every string, so it needs no call at match time.
        self._matchers = tuple(
            (i, rx.match) for i, rx in enumerate(compiled) if rx.pattern != REGEX_ANY
        )

    def match(self, other: PciAddressSpec) -> bool:
        fields = other.fields
        for index, rx_match in self._matchers:
            if rx_match(fields[index]) is None:
                return False
        return True


class WhitelistAddress:
    """nova's ``WhitelistPciAddress``: an address spec plus "it names an SR-IOV PF".

    ``is_physical_function`` is asked of the host (nova reads sysfs) only when
    the spec is a single address; when true, a VF whose ``parent_addr`` is that
    PF matches too.
    """

    __slots__ = ("is_physical_function", "pci_address_spec")

    def __init__(self, pci_addr: Any, is_physical_function: bool, host: Any):
        self.is_physical_function = is_physical_function
        spec: PciAddressSpec
        if is_physical_function:
            spec = PhysicalPciAddress(pci_addr)
        else:
            if isinstance(pci_addr, str):
                spec = PciAddressGlobSpec(pci_addr)
            elif isinstance(pci_addr, dict):
                spec = PciAddressRegexSpec(pci_addr)
            else:
                raise PciDeviceWrongAddressFormat(address=pci_addr)
            if spec.is_single_address():
                self.is_physical_function = host.is_physical_function(*spec.fields)
        self.pci_address_spec = spec

    @property
    def kind(self) -> str:
        """``"exact"``, ``"glob"`` or ``"regex"``: how the address was written."""
        spec = self.pci_address_spec
        if isinstance(spec, PhysicalPciAddress):
            return "exact"
        return "glob" if isinstance(spec, PciAddressGlobSpec) else "regex"

    def match(
        self, pci_addr: Any, parent_addr: Any, parse: AddressParser = PhysicalPciAddress
    ) -> bool:
        """Match a device by its address, or by its parent's when this names a PF."""
        if self.is_physical_function and parent_addr:
            if self.pci_address_spec.match(parse(parent_addr)):  # type: ignore[attr-defined]
                return True
        return self.pci_address_spec.match(parse(pci_addr))  # type: ignore[attr-defined]

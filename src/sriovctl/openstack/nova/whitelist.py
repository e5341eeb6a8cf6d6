"""The whole ``[pci]device_spec`` option: parse every value, first match wins.

``[pci]device_spec`` is a multi-valued option: each occurrence in nova.conf is
one string holding a JSON dict or a JSON list of dicts. nova parses them in
order into one flat list of entries, and a device takes its tags from the
**first** entry that matches it — later entries never see it.

The option was called ``[pci]passthrough_whitelist`` until Zed (26.0.0) and
``[DEFAULT]pci_passthrough_whitelist`` before Ocata (15.0.0); nova still reads
both names, and oslo.config puts their values first. Collecting the values
(with file:line) is :mod:`sriovctl.openstack.config`'s job; an entry's
``origin.line`` is the index into the list of values given here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Optional

from sriovctl.openstack.nova.address import AddressParser, PhysicalPciAddress
from sriovctl.openstack.nova.devspec import DeviceSpec, SpecOrigin, pci_obj_match_dict
from sriovctl.openstack.nova.errors import (
    NovaPciError,
    NovaUnhandledError,
    PciConfigInvalidSpec,
    nova_errors,
)
from sriovctl.openstack.nova.host import NO_HOST, HostLookup

_FIX_JSON = "each device_spec value must be one JSON dict or a JSON list of dicts"


def _load_json(text: Any) -> Any:
    # oslo.serialization's jsonutils.loads: str or bytes only, then json.loads.
    if not isinstance(text, (str, bytes)):
        raise TypeError(f"{type(text)} can't be decoded")
    return json.loads(text)


def parse_device_spec(
    value: Any,
    *,
    line: int = 0,
    host: HostLookup = NO_HOST,
    report_in_placement: bool = False,
) -> list[DeviceSpec]:
    """Parse one device_spec option value (a JSON dict or list) into entries.

    ``line`` numbers the value among all values; it is recorded in each
    entry's ``origin`` and in the ``origin`` of an error.
    """
    origin = SpecOrigin(line)
    try:
        try:
            loaded = _load_json(value)
        except ValueError:
            raise PciConfigInvalidSpec(reason=f"Invalid entry: '{value}'", fix=_FIX_JSON) from None
        if isinstance(loaded, dict):
            loaded = [loaded]
        elif not isinstance(loaded, list):
            raise PciConfigInvalidSpec(
                reason=f"Invalid entry: '{value}'; Expecting list or dict", fix=_FIX_JSON
            )
    except NovaPciError as exc:
        exc.origin = origin
        raise
    except Exception as exc:  # e.g. RecursionError on absurd nesting: nova crashes too
        err = NovaUnhandledError(exc)
        err.origin = origin
        raise err from exc
    specs = []
    for entry, item in enumerate(loaded):
        where = SpecOrigin(line, entry)
        if not isinstance(item, dict):
            err = PciConfigInvalidSpec(
                reason=f"Invalid entry: '{item}'; Expecting dict", fix=_FIX_JSON
            )
            err.origin = where
            raise err
        specs.append(
            DeviceSpec(item, host=host, report_in_placement=report_in_placement, origin=where)
        )
    return specs


def caching_parser() -> AddressParser:
    """A PhysicalPciAddress parser that parses each address string once (per caller).

    Only successes are kept: a bad address raises again, freshly, each time
    nova would parse it.
    """
    cache: dict[Any, PhysicalPciAddress] = {}
    get = cache.get

    def parse(address: Any) -> PhysicalPciAddress:
        try:
            parsed = get(address)
        except TypeError:  # unhashable: let nova's parser reject it
            return PhysicalPciAddress(address)
        if parsed is None:
            parsed = cache[address] = PhysicalPciAddress(address)
        return parsed

    return parse


class DeviceSpecList:
    """All entries of ``[pci]device_spec``, in order (nova's ``Whitelist``).

    ``values`` is the list of option strings (``None`` or empty: nothing is
    assignable). Like nova, a bare string is iterated character by character.
    """

    def __init__(
        self,
        values: Optional[Iterable[Any]] = None,
        *,
        host: HostLookup = NO_HOST,
        report_in_placement: bool = False,
    ):
        self.specs: list[DeviceSpec] = []
        for line, value in enumerate(values or ()):
            self.specs.extend(
                parse_device_spec(
                    value, line=line, host=host, report_in_placement=report_in_placement
                )
            )

    @classmethod
    def from_specs(cls, specs: Iterable[DeviceSpec]) -> DeviceSpecList:
        self = cls()
        self.specs = list(specs)
        return self

    def __iter__(self):
        return iter(self.specs)

    def __len__(self) -> int:
        return len(self.specs)

    def first_match(
        self, dev: Mapping[str, Any], parse: AddressParser | None = None
    ) -> DeviceSpec | None:
        """The entry that gives ``dev`` its tags: the first that matches, else None."""
        with nova_errors():
            return self._first(dev, parse or caching_parser())

    def _first(self, dev: Mapping[str, Any], parse: AddressParser) -> DeviceSpec | None:
        for spec in self.specs:
            if spec._match(dev, parse):
                return spec
        return None

    #: nova's name for :meth:`first_match`
    device_assignable = first_match

    def get_devspec(self, pci_obj: Mapping[str, Any]) -> DeviceSpec | None:
        """:meth:`first_match` for a nova PciDevice given as a dict of its fields."""
        return self.first_match(pci_obj_match_dict(pci_obj))

    def all_matches(
        self, dev: Mapping[str, Any], parse: AddressParser | None = None
    ) -> list[DeviceSpec]:
        """Every entry that matches ``dev``; all but the first are shadowed for it."""
        parse = parse or caching_parser()
        with nova_errors():
            return [spec for spec in self.specs if spec._match(dev, parse)]

    def assign(
        self, devices: Iterable[Mapping[str, Any]]
    ) -> list[tuple[Mapping, DeviceSpec | None]]:
        """(device, first matching entry or None) for each device, parsing each address once."""
        parse = caching_parser()
        with nova_errors():
            return [(dev, self._first(dev, parse)) for dev in devices]

    def matches_by_spec(self, devices: Sequence[Mapping[str, Any]]) -> list[list[Mapping]]:
        """For each entry (same order as :attr:`specs`), the devices it matches at all."""
        parse = caching_parser()
        with nova_errors():
            return [[dev for dev in devices if spec._match(dev, parse)] for spec in self.specs]


#: nova's name for the class
Whitelist = DeviceSpecList


def selected_dev_types(spec: DeviceSpec, devices: Iterable[Mapping[str, Any]]) -> set[str]:
    """The ``dev_type`` values (type-PF, type-VF, type-PCI, vdpa) of the devices ``spec`` hits."""
    parse = caching_parser()
    return {dev.get("dev_type") for dev in devices if spec.match(dev, parse)}

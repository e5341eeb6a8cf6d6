"""nova's PCI passthrough rules as a pure library (device_spec, alias, pools).

Everything here works on plain data: device_spec/alias option strings and
libvirt-style device dicts (``address``, ``vendor_id``, ``product_id``,
``dev_type``, ``parent_addr``, ``numa_node``, ``capabilities`` …). What nova
would read from sysfs is asked of a :class:`HostLookup` (default: an empty
host). Behaviour, error classes and messages follow nova's own code; see
the README (section "nova's PCI rules as a library").

Public API
----------
device_spec
    :func:`parse_device_spec` — one option value (JSON dict or list) -> entries;
    :class:`DeviceSpecList` (alias :data:`Whitelist`) — all values, with
    :meth:`~DeviceSpecList.first_match` (first match wins),
    :meth:`~DeviceSpecList.all_matches`, :meth:`~DeviceSpecList.matches_by_spec`;
    :class:`DeviceSpec` — one entry: ``match()``, ``tags``, ``origin`` (line/entry),
    ``pf_address`` (selects the PF and its VFs), ``address_kind``;
    :func:`selected_dev_types`.
addresses
    :class:`PhysicalPciAddress`, :class:`PciAddressGlobSpec`,
    :class:`PciAddressRegexSpec`, :func:`parse_address`, :func:`normalize_hex`.
host facts
    :class:`HostLookup` (protocol), :data:`NO_HOST`, :class:`StaticHost`, :class:`SysfsHost`.
alias and requests
    :func:`parse_aliases`, :class:`Alias`, :func:`translate_alias_to_requests`,
    :func:`requests_from_flavor`, :class:`PciRequest`, :func:`request_for_port`,
    :func:`prop_match`.
pools
    :class:`PciStats` — ``add_device``, ``support_requests``, ``apply_requests``,
    ``consume_requests``, iteration over pools.
errors
    :class:`NovaPciError` (an :class:`~sriovctl.errors.InputError`) and one
    subclass per nova exception; each has ``nova_exception`` and ``message``.
"""

from __future__ import annotations

from sriovctl.openstack.nova.address import (
    PciAddressGlobSpec,
    PciAddressRegexSpec,
    PhysicalPciAddress,
    normalize_hex,
    parse_address,
)
from sriovctl.openstack.nova.alias import (
    Alias,
    parse_aliases,
    requests_from_flavor,
    translate_alias_to_requests,
)
from sriovctl.openstack.nova.devspec import DeviceSpec, SpecOrigin
from sriovctl.openstack.nova.errors import (
    NovaPciError,
    NovaUnhandledError,
    PciConfigInvalidSpec,
    PciDeviceInvalidDeviceName,
    PciDeviceInvalidPFRemoteManaged,
    PciDeviceNotFoundById,
    PciDevicePoolEmpty,
    PciDeviceRemoteManagedNotPresent,
    PciDeviceRequestFailed,
    PciDeviceWrongAddressFormat,
    PciInvalidAlias,
    PciRequestAliasNotDefined,
)
from sriovctl.openstack.nova.host import NO_HOST, HostLookup, StaticHost
from sriovctl.openstack.nova.request import PciRequest, prop_match, request_for_port
from sriovctl.openstack.nova.stats import PciStats
from sriovctl.openstack.nova.sysfs import RootFilesystem, SysfsHost
from sriovctl.openstack.nova.whitelist import (
    DeviceSpecList,
    Whitelist,
    parse_device_spec,
    selected_dev_types,
)

__all__ = [
    # device_spec
    "parse_device_spec",
    "DeviceSpecList",
    "Whitelist",
    "DeviceSpec",
    "SpecOrigin",
    "selected_dev_types",
    # addresses
    "PhysicalPciAddress",
    "PciAddressGlobSpec",
    "PciAddressRegexSpec",
    "parse_address",
    "normalize_hex",
    # host facts
    "HostLookup",
    "NO_HOST",
    "StaticHost",
    "SysfsHost",
    "RootFilesystem",
    # alias and requests
    "parse_aliases",
    "Alias",
    "translate_alias_to_requests",
    "requests_from_flavor",
    "PciRequest",
    "request_for_port",
    "prop_match",
    # pools
    "PciStats",
    # errors
    "NovaPciError",
    "NovaUnhandledError",
    "PciConfigInvalidSpec",
    "PciDeviceWrongAddressFormat",
    "PciDeviceInvalidDeviceName",
    "PciDeviceRemoteManagedNotPresent",
    "PciDeviceInvalidPFRemoteManaged",
    "PciDeviceNotFoundById",
    "PciInvalidAlias",
    "PciRequestAliasNotDefined",
    "PciDeviceRequestFailed",
    "PciDevicePoolEmpty",
]

"""``physnet:device`` style options, parsed exactly as neutron and neutron-lib do.

* ``[sriov_nic] physical_device_mappings`` and ``[FDB] shared_physical_device_mappings``
  go through neutron-lib ``parse_mappings(..., unique_keys=False)``: every item must have
  exactly one ``:``; a physnet may repeat (several PFs for one physnet).
* ``[sriov_nic] exclude_devices`` splits on the *first* ``:`` only, because the PCI
  addresses after it contain colons, and the PCI list is ``;``-separated.

Inputs are the raw ini text or an already split list (see
:func:`~sriovctl.openstack.neutron.options.list_value`). Errors carry neutron's message.
"""

from __future__ import annotations

from sriovctl.openstack.neutron.errors import NeutronError
from sriovctl.openstack.neutron.options import ListValue, list_value


def parse_mappings(
    mapping_list: ListValue, unique_values: bool = True, unique_keys: bool = True
) -> dict[str, str] | dict[str, list[str]]:
    """neutron-lib ``helpers.parse_mappings``.

    With ``unique_keys`` the result is ``{key: value}`` and a repeated key (or, with
    ``unique_values``, a repeated value) is an error. Without it the result is
    ``{key: [value, ...]}`` in first-seen order, repeated values dropped, and
    ``unique_values`` is ignored (as in neutron-lib).
    """
    mappings: dict = {}
    for raw in list_value(mapping_list):
        mapping = raw.strip()
        if not mapping:
            continue
        parts = mapping.split(":")
        if len(parts) != 2:
            raise NeutronError(
                f"Invalid mapping: '{mapping}'",
                fix="write each entry as <physical_network>:<device> with exactly one ':'",
            )
        key, value = parts[0].strip(), parts[1].strip()
        if not key:
            raise NeutronError(
                f"Missing key in mapping: '{mapping}'", fix="put the physnet before the ':'"
            )
        if not value:
            raise NeutronError(
                f"Missing value in mapping: '{mapping}'", fix="put the device after the ':'"
            )
        if unique_keys:
            if key in mappings:
                raise NeutronError(
                    f"Key {key} in mapping: '{mapping}' not unique",
                    fix=f"list {key} only once",
                )
            if unique_values and value in mappings.values():
                raise NeutronError(
                    f"Value {value} in mapping: '{mapping}' not unique",
                    fix=f"map {value} only once",
                )
            mappings[key] = value
        else:
            values = mappings.setdefault(key, [])
            if value not in values:
                values.append(value)
    return mappings


def parse_physical_device_mappings(raw: ListValue) -> dict[str, list[str]]:
    """``[sriov_nic] physical_device_mappings`` -> ``{physnet: [PF netdev, ...]}``.

    ``physnet1:eth3,physnet1:eth4`` gives ``{'physnet1': ['eth3', 'eth4']}``.
    """
    return parse_mappings(raw, unique_keys=False)  # type: ignore[return-value]


def parse_shared_physical_device_mappings(raw: ListValue) -> dict[str, list[str]]:
    """``[FDB] shared_physical_device_mappings``: same rules as physical_device_mappings."""
    return parse_mappings(raw, unique_keys=False)  # type: ignore[return-value]


def parse_exclude_devices(raw: ListValue) -> dict[str, set[str]]:
    """``[sriov_nic] exclude_devices`` -> ``{PF netdev: {VF PCI address, ...}}``.

    ``eth1:0000:07:00.2;0000:07:00.3`` gives ``{'eth1': {'0000:07:00.2', '0000:07:00.3'}}``.
    ``eth1:`` is allowed and excludes nothing. An empty item (``a,,b``) is an error,
    unlike in physical_device_mappings, because neutron does not skip it here.
    """
    exclude: dict[str, set[str]] = {}
    for dev_mapping in list_value(raw):
        if ":" not in dev_mapping:
            raise NeutronError(
                f"Invalid mapping: '{dev_mapping}'",
                fix="write each entry as <device>:<pci>;<pci> (drop empty entries)",
            )
        dev_name, slots = dev_mapping.split(":", 1)
        dev_name = dev_name.strip()
        if not dev_name:
            raise NeutronError(
                f"Missing key in mapping: '{dev_mapping}'", fix="put the PF netdev before the ':'"
            )
        if dev_name in exclude:
            raise NeutronError(
                f"Device {dev_name} in mapping: {dev_mapping} not unique",
                fix=f"join all excluded VFs of {dev_name} into one entry, separated by ';'",
            )
        exclude[dev_name] = {slot.strip() for slot in slots.split(";") if slot.strip()}
    return exclude

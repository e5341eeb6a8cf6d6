"""Typed views of the SR-IOV options: parsed values, defaults, deprecations, file:line errors."""

from __future__ import annotations

from pathlib import Path

from sriovctl.openstack import config
from sriovctl.openstack.neutron import config_views


def read(tmp_path: Path, **files: str) -> config.ConfigSet:
    """``nova_conf="..."`` is written to ``nova.conf``, ``ml2_conf_ini`` to ``ml2_conf.ini``."""
    paths = []
    for name, text in files.items():
        stem, _, ext = name.rpartition("_")
        path = tmp_path / f"{stem}.{ext}"
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    return config.read_config(paths)


def test_nova_view_defaults_when_absent(tmp_path):
    view = config.nova_view(read(tmp_path, nova_conf="[DEFAULT]\n"))
    assert view.device_spec.values == () and view.device_spec.strings == []
    assert view.available_filters.strings == ["nova.scheduler.filters.all_filters"]
    assert view.enabled_filters.is_default
    assert view.enabled_filters.value == list(config.NOVA_ENABLED_FILTERS)
    assert "PciPassthroughFilter" not in view.enabled_filters.value


def test_nova_view_from_the_guide(tmp_path):
    guide = (
        "[pci]\n"
        'passthrough_whitelist = [{"physical_network": "sriovnet1", "address": "*:31:12.*"}]\n'
        "[filter_scheduler]\n"
        "available_filters = nova.scheduler.filters.all_filters\n"
        "enabled_filters = AvailabilityZoneFilter, ComputeFilter, PciPassthroughFilter\n"
        "[DEFAULT]\nscheduler_default_filters = RetryFilter\n"
    )
    view = config.nova_view(read(tmp_path, nova_conf=guide))
    (spec,) = view.device_spec.values
    assert spec.option == "passthrough_whitelist" and spec.line == 2
    assert view.enabled_filters.value == [
        "AvailabilityZoneFilter",
        "ComputeFilter",
        "PciPassthroughFilter",
    ]
    assert view.enabled_filters.where.endswith("nova.conf:5")
    messages = [n.message for n in view.notes]
    assert any("renamed [pci] device_spec in Zed" in m for m in messages)
    assert any("scheduler_default_filters: no longer read" in m for m in messages)


def test_ml2_view(tmp_path):
    ml2 = (
        "[ml2]\nmechanism_drivers = openvswitch,sriovnicswitch\ntenant_network_types = vxlan\n"
        "[ml2_type_vlan]\nnetwork_vlan_ranges = physnet2, physnet3:100:200\n"
        "[ml2_type_flat]\nflat_networks =\n"
        "[sriov_driver]\nvnic_type_prohibit_list = macvtap\n"
    )
    view = config_views.ml2_view(read(tmp_path, ml2_conf_ini=ml2))
    assert view.mechanism_drivers.value == ["openvswitch", "sriovnicswitch"]
    assert view.type_drivers.is_default
    assert view.tenant_network_types.value == ["vxlan"]
    assert "deprecated name" in view.tenant_network_types.note
    assert view.network_vlan_ranges.value == {"physnet2": [(1, 4094)], "physnet3": [(100, 200)]}
    assert view.flat_networks.value == ()  # flat networks disabled
    assert view.supported_vnic_types.value == ["direct", "direct-physical", "accelerator-direct"]


def test_ml2_view_errors_carry_file_line_and_neutron_wording(tmp_path):
    ml2 = (
        "[ml2_type_vlan]\nnetwork_vlan_ranges = physnet2:1000:5000\n"
        "[sriov_driver]\nvnic_type_prohibit_list = normal\n"
    )
    view = config_views.ml2_view(read(tmp_path, ml2_conf_ini=ml2))
    error = view.network_vlan_ranges.error
    assert view.network_vlan_ranges.value is None
    assert error.message.endswith(
        "ml2_conf.ini:2: [ml2_type_vlan] network_vlan_ranges: "
        "Invalid network VLAN range: '1000:5000' - '5000 is not a valid VLAN tag'."
    )
    assert (
        "Not all of the items from vnic_type_prohibit_list"
        in view.supported_vnic_types.error.message
    )


def test_sriov_agent_view_and_cross_check(tmp_path):
    agent = (
        "[sriov_nic]\nphysical_device_mappings = physnet2:eth3, physnet2:eth4\n"
        "exclude_devices = eth9:0000:07:00.2\n"
        "[securitygroup]\nfirewall_driver = neutron.agent.firewall.NoopFirewallDriver\n"
        "[agent]\nextensions = qos\n"
    )
    view = config_views.sriov_agent_view(read(tmp_path, sriov_agent_ini=agent))
    assert view.physical_device_mappings.value == {"physnet2": ["eth3", "eth4"]}
    assert view.exclude_devices.value == {"eth9": {"0000:07:00.2"}}
    assert view.firewall_driver.value == "neutron.agent.firewall.NoopFirewallDriver"
    assert view.extensions.value == ["qos"]
    assert view.resource_provider_inventory_defaults.is_default
    assert view.cross_check.message.endswith(
        "sriov_agent.ini:3: Invalid exclude_devices: "
        "Device name eth9 is missing from physical_device_mappings"
    )


def test_sriov_agent_view_option_error(tmp_path):
    view = config_views.sriov_agent_view(
        read(tmp_path, sriov_agent_ini="[SRIOV_NIC]\nphysical_device_mappings = physnet2\n")
    )
    assert view.physical_device_mappings.error.message.endswith("Invalid mapping: 'physnet2'")
    assert view.cross_check is None


def test_l2_agent_view(tmp_path):
    ovs = (
        "[agent]\nextensions = fdb\n"
        "[FDB]\nshared_physical_device_mappings = physnet1:p1p1, physnet1:p1p2\n"
    )
    view = config_views.l2_agent_view(read(tmp_path, openvswitch_agent_ini=ovs))
    assert view.extensions.value == ["fdb"]
    assert view.shared_physical_device_mappings.value == {"physnet1": ["p1p1", "p1p2"]}
    assert view.shared_physical_device_mappings.where.endswith(":4")


def test_neutron_services_split(tmp_path):
    cs = read(
        tmp_path,
        neutron_conf="[DEFAULT]\ncore_plugin = ml2\n",
        ml2_conf_ini="[ml2]\nmechanism_drivers = sriovnicswitch\n",
        sriov_agent_ini="[sriov_nic]\nphysical_device_mappings = physnet2:eth3\n",
    )
    services = config_views.neutron_services(cs)
    assert sorted(services) == ["neutron-server", "neutron-sriov-nic-agent"]
    names = [Path(p).name for p in services["neutron-sriov-nic-agent"].paths]
    assert names == ["neutron.conf", "sriov_agent.ini"]

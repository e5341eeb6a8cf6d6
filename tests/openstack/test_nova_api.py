"""The library's own API: what a linter or the twin calls, beyond nova's vectors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from sriovctl.errors import InputError
from sriovctl.openstack.nova import (
    NO_HOST,
    DeviceSpec,
    DeviceSpecList,
    NovaPciError,
    PciRequest,
    PciStats,
    RootFilesystem,
    StaticHost,
    SysfsHost,
    parse_aliases,
    parse_device_spec,
    request_for_port,
    requests_from_flavor,
    selected_dev_types,
)

PF = {"address": "0000:81:00.0", "vendor_id": "8086", "product_id": "1528", "dev_type": "type-PF"}
VF0 = {
    "address": "0000:81:10.0",
    "vendor_id": "8086",
    "product_id": "1515",
    "dev_type": "type-VF",
    "parent_addr": "0000:81:00.0",
    "numa_node": 0,
    "devname": "enp129s0f0v0",
}
VF1 = dict(VF0, address="0000:81:10.2", devname="enp129s0f0v1")
GPU = {"address": "0000:0a:00.0", "vendor_id": "10de", "product_id": "1db4", "dev_type": "type-PCI"}
HOST_DEVICES = [dict(PF, devname="enp129s0f0"), VF0, VF1, GPU]


def raised(call) -> NovaPciError:
    with pytest.raises(NovaPciError) as info:
        call()
    return info.value


# -- parsing and origins -------------------------------------------------------------


def test_one_value_may_hold_a_list_and_each_entry_knows_its_origin():
    specs = DeviceSpecList(
        [
            '{"vendor_id": "8086", "product_id": "1515"}',
            '[{"vendor_id": "10de"}, {"address": "*:0a:00.*"}]',
        ]
    )
    assert [(s.origin.line, s.origin.entry) for s in specs] == [(0, 0), (1, 0), (1, 1)]
    assert str(specs.specs[2].origin) == "device_spec #2 entry 2"


def test_errors_are_input_errors_with_nova_name_message_fix_and_origin():
    err = raised(
        lambda: DeviceSpecList(['{"vendor_id": "8086"}', '[{}, {"address": "0000:0a:00.8"}]'])
    )
    assert isinstance(err, InputError) and err.exit_code == 2
    assert err.nova_exception == "PciConfigInvalidSpec"
    assert err.message == (
        "Invalid [pci]device_spec config: property func (8) is greater than the maximum "
        "allowable value (7)."
    )
    assert err.fix and (err.origin.line, err.origin.entry) == (1, 1)
    assert str(err) == err.message


def test_json_errors_name_the_value():
    err = raised(lambda: parse_device_spec("{vendor_id: 8086}", line=3))
    assert err.message == "Invalid [pci]device_spec config: Invalid entry: '{vendor_id: 8086}'"
    assert err.origin.line == 3 and err.origin.entry is None
    assert "Expecting list or dict" in raised(lambda: parse_device_spec("5")).message
    assert "'5'; Expecting dict" in raised(lambda: parse_device_spec("[5]")).message
    assert parse_device_spec("[]") == []


def test_wrong_json_types_say_which_python_error_nova_would_die_of():
    err = raised(lambda: parse_device_spec('{"vendor_id": 8086}'))
    assert err.nova_exception == "AttributeError"
    assert err.message == "'int' object has no attribute 'strip'"
    err = raised(lambda: parse_device_spec('{"address": {"bus": 10}}'))
    assert err.nova_exception == "TypeError"


def test_a_bare_string_is_iterated_like_nova_does():
    err = raised(lambda: DeviceSpecList('{"vendor_id": "8086"}'))
    assert err.message == "Invalid [pci]device_spec config: Invalid entry: '{'"


# -- matching ---------------------------------------------------------------------------


def test_first_match_wins_and_later_entries_are_shadowed():
    specs = DeviceSpecList(
        [
            '{"vendor_id": "8086", "physical_network": "physnet1"}',
            '{"product_id": "1515", "physical_network": "physnet2"}',
        ]
    )
    assert specs.first_match(VF0).tags == {"physical_network": "physnet1"}
    assert [s.origin.line for s in specs.all_matches(VF0)] == [0, 1]
    assert [len(devs) for devs in specs.matches_by_spec(HOST_DEVICES)] == [3, 2]
    assert [spec and spec.origin.line for _, spec in specs.assign(HOST_DEVICES)] == [0, 0, 0, None]


def test_regex_bus_zero_also_matches_bus_0a():
    spec = DeviceSpec({"address": {"bus": "0"}})
    assert spec.match(GPU)  # bus 0a: re.match is not anchored at the end
    assert not DeviceSpec({"address": {"bus": "0$"}}).match(GPU)
    assert spec.address_kind == "regex"


def test_a_pf_address_selects_its_vfs_only_when_the_host_says_it_is_a_pf():
    host = StaticHost.from_devices(HOST_DEVICES)
    spec = DeviceSpec({"address": "0000:81:00.0", "physical_network": "physnet1"}, host=host)
    assert spec.pf_address == "0000:81:00.0"
    assert selected_dev_types(spec, HOST_DEVICES) == {"type-PF", "type-VF"}
    assert DeviceSpec({"address": "0000:81:00.0"}).pf_address is None  # no host facts
    assert selected_dev_types(DeviceSpec({"product_id": "1515"}), HOST_DEVICES) == {"type-VF"}


def test_devname_is_resolved_through_the_host():
    host = StaticHost.from_devices(HOST_DEVICES)
    pf_spec = DeviceSpec({"devname": "enp129s0f0"}, host=host)
    assert pf_spec.address_kind == "devname" and pf_spec.pf_address == "0000:81:00.0"
    assert selected_dev_types(pf_spec, HOST_DEVICES) == {"type-PF", "type-VF"}
    vf_spec = DeviceSpec({"devname": "enp129s0f0v1"}, host=host)
    assert [d["address"] for d in HOST_DEVICES if vf_spec.match(d)] == ["0000:81:10.2"]
    assert not DeviceSpec({"devname": "missing0"}, host=host).match(VF0)


def test_tags_are_normalised_and_copied_to_the_device_like_nova():
    spec = DeviceSpec({"vendor_id": " 0x8086 ", "managed": "NO", "trusted": "yes"})
    assert spec.vendor_id == "8086"
    assert spec.tags == {"managed": "false", "trusted": "yes"}
    assert spec.enhanced_device(VF0)["managed"] == "false"
    assert "managed" not in VF0


def test_one_time_use_needs_report_in_placement():
    err = raised(lambda: DeviceSpec({"one_time_use": "yes"}))
    assert "requires pci.report_in_placement" in err.message
    assert (
        DeviceSpec({"one_time_use": "yes"}, report_in_placement=True).tags["one_time_use"] == "true"
    )


def test_remote_managed_with_a_pf_address_fails_on_a_real_host():
    host = StaticHost.from_devices(HOST_DEVICES)
    # nova looks the PF up under str() of its glob object, not under the address...
    spec = {"address": "0000:81:00.0", "product_id": "1515", "remote_managed": "true"}
    err = raised(lambda: DeviceSpec(spec, host=host))
    assert err.nova_exception == "PciDeviceNotFoundById"
    assert err.message.startswith("PCI device <nova.pci.devspec.PciAddressGlobSpec object at 0x")
    assert "vendor_id and product_id" in err.fix
    # ...and by devname it reads <PF>/product, which Linux does not have.
    by_name = {"devname": "enp129s0f0", "product_id": "1515", "remote_managed": "true"}
    err = raised(lambda: DeviceSpec(by_name, host=host))
    assert err.message == "PCI device 0000:81:00.0 not found"


def test_remote_managed_checks_when_the_pf_ids_are_known():
    # The checks nova means to make, with ids a test (or a fixed nova) would provide.
    host = StaticHost(
        netdevs={"enp129s0f0": ("0000:81:00.0", True)},
        vf_product_ids={"0000:81:00.0": "1515"},
        pci_ids={"0000:81:00.0": ("8086", "1528")},
    )
    spec = DeviceSpec(
        {"devname": "enp129s0f0", "product_id": "1515", "remote_managed": "true"}, host=host
    )
    assert spec.remote_managed
    assert not spec.match(VF0)  # no card serial number in VPD
    assert spec.match(dict(VF0, capabilities={"vpd": {"card_serial_number": "MT1"}}))
    err = raised(lambda: DeviceSpec({"devname": "enp129s0f0", "remote_managed": "true"}, host=host))
    assert err.nova_exception == "PciDeviceInvalidPFRemoteManaged"
    # nova passes the address object as the whole message, so that is all it says:
    assert err.message == "0000:81:00.0"


# -- host facts --------------------------------------------------------------------------


def test_static_host_from_devices():
    host = StaticHost.from_devices(HOST_DEVICES)
    assert host.is_physical_function("0000", "81", "00", "0")
    assert not host.is_physical_function("0000", "81", "10", "0")
    assert host.get_function_by_ifname("enp129s0f0") == ("0000:81:00.0", True)
    assert host.get_function_by_ifname("enp129s0f0v0") == ("0000:81:10.0", False)
    assert host.get_vf_product_id_by_pf_addr("0000:81:00.0") == "1515"
    # nova reads <addr>/product, which Linux sysfs does not have:
    err = raised(lambda: host.get_pci_ids_by_pci_addr("0000:81:00.0"))
    assert err.message == "PCI device 0000:81:00.0 not found"
    assert NO_HOST.get_function_by_ifname("eth0") == (None, False)


def write_fake_sysfs(root):
    """The links and files nova reads, laid out as Linux does (PF 0000:81:00.0)."""
    pf = root / "sys/devices/pci0000:80/0000:80:03.0/0000:81:00.0"
    (pf / "net/enp129s0f0").mkdir(parents=True)
    (pf / "sriov_totalvfs").write_text("7\n")
    (pf / "sriov_vf_device").write_text("1515\n")
    (pf / "vendor").write_text("0x8086\n")
    (pf / "device").write_text("0x1528\n")  # Linux's name; nova reads "product"
    os.symlink("../../../0000:81:00.0", pf / "net/enp129s0f0/device")
    (root / "sys/bus/pci/devices").mkdir(parents=True)
    os.symlink(
        "../../../" + str(pf.relative_to(root / "sys")), root / "sys/bus/pci/devices/0000:81:00.0"
    )
    (root / "sys/class/net").mkdir(parents=True)
    os.symlink(
        "../../" + str((pf / "net/enp129s0f0").relative_to(root / "sys")),
        root / "sys/class/net/enp129s0f0",
    )


def test_sysfs_host_reads_a_root_like_nova_reads_sysfs(tmp_path):
    write_fake_sysfs(tmp_path)
    host = SysfsHost(RootFilesystem(str(tmp_path)))
    assert host.is_physical_function("0000", "81", "00", "0")
    assert not host.is_physical_function("0000", "81", "00", "1")
    assert host.get_function_by_ifname("enp129s0f0") == ("0000:81:00.0", True)
    assert host.get_function_by_ifname("nope0") == (None, False)
    assert host.get_vf_product_id_by_pf_addr("0000:81:00.0") == "1515"
    # nova reads <dev>/product, which Linux does not have:
    assert raised(lambda: host.get_pci_ids_by_pci_addr("0000:81:00.0")).nova_exception == (
        "PciDeviceNotFoundById"
    )
    spec = DeviceSpec({"devname": "enp129s0f0"}, host=host)
    assert spec.pf_address == "0000:81:00.0" and spec.match(VF0)


SNAPSHOT = "/work/shared/fixtures/lab-default-7vfs.tar.gz"


@pytest.mark.skipif(not os.path.exists(SNAPSHOT), reason="lab snapshot not available")
def test_sysfs_host_on_a_lab_snapshot(tmp_path):
    import tarfile

    with tarfile.open(SNAPSHOT) as tar:
        if hasattr(tarfile, "data_filter"):  # refuse links escaping the directory
            tar.extractall(tmp_path, filter="data")
        else:  # pragma: no cover - Python without PEP 706
            tar.extractall(tmp_path)  # noqa: S202
    root = tmp_path
    host = SysfsHost(RootFilesystem(str(root)))
    assert host.get_function_by_ifname("enp1s0") == ("0000:01:00.0", True)
    assert host.get_function_by_ifname("enp1s0v0") == ("0000:01:10.0", False)
    assert host.get_vf_product_id_by_pf_addr("0000:01:00.0") == "10ca"
    specs = DeviceSpecList(['{"devname": "enp1s0", "physical_network": "physnet1"}'], host=host)
    vf = {"vendor_id": "8086", "product_id": "10ca", "address": "0000:01:10.2"}
    assert specs.first_match(dict(vf, parent_addr="0000:01:00.0")).physical_network == "physnet1"
    assert specs.first_match(vf) is None
    # remote_managed by PF devname: nova's "product" read fails on every Linux host.
    err = raised(lambda: DeviceSpec({"devname": "enp1s0", "remote_managed": "true"}, host=host))
    assert err.message == "PCI device 0000:01:00.0 not found"


# -- aliases, requests, pools -----------------------------------------------------------------


def test_aliases_merge_by_name_and_flavors_turn_into_requests():
    aliases = parse_aliases(
        [
            '{"name": "nic", "vendor_id": "8086", "product_id": "1515", "device_type": "type-VF"}',
            '{"name": "nic", "vendor_id": "8086", "product_id": "10ed", "device_type": "type-VF"}',
        ]
    )
    assert aliases["nic"].numa_policy == "legacy" and len(aliases["nic"].specs) == 2
    (request,) = requests_from_flavor({"pci_passthrough:alias": "nic:2"}, aliases)
    assert (request.count, request.alias_name, request.source) == (2, "nic", "flavor_alias")
    err = raised(lambda: requests_from_flavor({"pci_passthrough:alias": "gpu:1"}, aliases))
    assert err.message == "PCI alias gpu is not defined"


def test_aliases_without_device_type_cannot_be_merged():
    values = ['{"name": "a", "vendor_id": "8086", "product_id": "1515"}'] * 2
    assert (
        raised(lambda: parse_aliases(values)).message == "Invalid PCI alias definition: 'dev_type'"
    )


def test_requests_are_coerced_like_nova_objects():
    request = PciRequest.from_dict({"count": "2", "spec": [{"numa_node": 0, "trusted": True}]})
    assert request.count == 2 and request.spec == [{"numa_node": "0", "trusted": "True"}]
    assert repr(request).startswith("InstancePCIRequest(alias_name=<?>,count=2,")
    err = raised(lambda: PciRequest(1, [{}], numa_policy="strict"))
    assert (err.nova_exception, err.message) == ("ValueError", "Field value strict is invalid")


def pools_for(values):
    return PciStats(DeviceSpecList(values, host=StaticHost.from_devices(HOST_DEVICES))).add_devices(
        [dict(d) for d in HOST_DEVICES]
    )


def test_vfs_of_one_pf_share_a_pool_keyed_by_the_pf_address():
    stats = pools_for(['{"vendor_id": "8086", "physical_network": "physnet1"}'])
    summary = list(stats)
    vf_pool = next(p for p in summary if p["dev_type"] == "type-VF")
    assert vf_pool["count"] == 2 and vf_pool["address"] == "0000:81:00.0"
    assert vf_pool["remote_managed"] == "false" and "devices" not in vf_pool


@pytest.mark.parametrize(
    ("vnic_type", "physnet", "trusted", "fits"),
    [
        ("direct", "physnet1", None, True),
        ("direct", "PhysNet1", None, True),  # tags compare case-insensitively
        ("direct", "physnet2", None, False),
        ("macvtap", "physnet1", None, True),
        ("direct", "physnet1", "false", False),  # needs a pool tagged trusted=false
        ("direct-physical", "physnet1", None, True),
        ("remote-managed", "physnet1", None, False),
        ("vdpa", "physnet1", None, False),
        ("normal", "physnet1", None, None),
    ],
)
def test_port_requests_target_the_pools_nova_would_pick(vnic_type, physnet, trusted, fits):
    stats = pools_for(['{"vendor_id": "8086", "physical_network": "physnet1"}'])
    request = request_for_port(vnic_type, physnet, trusted=trusted)
    if fits is None:
        assert request is None
        return
    assert stats.support_requests([request]) is fits


def test_consuming_a_vf_takes_its_pf_out_of_the_pools():
    stats = pools_for(['{"vendor_id": "8086", "physical_network": "physnet1"}'])
    (vf,) = stats.consume_requests([request_for_port("direct", "physnet1")])
    assert vf["dev_type"] == "type-VF"
    assert all(d["dev_type"] != "type-PF" for d in stats.get_free_devs())
    err = raised(lambda: stats.consume_requests([request_for_port("direct-physical", "physnet1")]))
    assert err.nova_exception == "PciDeviceRequestFailed" and err.exit_code == 1


# -- cost of importing ---------------------------------------------------------------------


def test_importing_the_library_stays_light():
    code = (
        "import sys, sriovctl.openstack.nova;"
        "print(json.dumps([m for m in ('jsonschema', 'oslo_config', 'yaml') if m in sys.modules]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", "import json;" + code], capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout) == []

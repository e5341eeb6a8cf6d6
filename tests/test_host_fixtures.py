"""The host model against snapshots captured from a real kernel (igb, 0 and 7 VFs).

expected.json was derived from each snapshot's _cmd/ outputs (lspci, ip, ethtool) only, so
these tests compare our sysfs/config-space reading with the kernel's own tools.
"""

from __future__ import annotations

import pytest

from sriovctl.host.read import load_host

from testdata import FIXTURES, LAB_SNAPSHOTS


@pytest.fixture(scope="module", params=LAB_SNAPSHOTS)
def case(request, expected):
    name = request.param
    return load_host(str(FIXTURES / f"{name}.tar.gz")), expected[name]


def test_pci_devices_match_lspci(case):
    host, exp = case
    assert set(host.devices) == set(exp["pci_devices"])
    for addr, want in exp["pci_devices"].items():
        dev = host.devices[addr]
        assert dev.vendor_device == want["vendor_device"]
        assert dev.class_code[:4] == want["class"]
        assert dev.driver == want["driver"]
        assert dev.iommu_group == want["iommu_group"]


def test_iommu_groups_and_cmdline(case):
    host, exp = case
    assert {str(g): list(m) for g, m in host.iommu.groups.items()} == exp["iommu_groups"]
    assert host.iommu.active == exp["iommu_active"]
    assert host.cmdline == exp["proc_cmdline"]
    assert host.kernel_release == exp["kernel_release"]
    c = host.iommu.cmdline
    assert c.intel is (exp["cmdline_iommu"]["intel_iommu"] == "on")
    assert c.iommu == exp["cmdline_iommu"]["iommu"]
    for table, want in exp["acpi_tables"].items():
        assert host.iommu.acpi[table].present == want["exists"]
        assert host.iommu.acpi[table].size == want["size"]


def test_pf_and_sriov_capability(case):
    host, exp = case
    (want,) = exp["pfs"]
    pf = host.devices[want["bdf"]]
    assert pf.is_pf and pf.netdevs == (want["netdev"],)
    assert pf.sriov.totalvfs == want["sriov_totalvfs"]
    assert pf.sriov.numvfs == want["sriov_numvfs"]
    assert pf.sriov.vf_device == want["sriov_vf_device"]
    assert (pf.sriov.offset, pf.sriov.stride) == (want["sriov_offset"], want["sriov_stride"])
    cap, wcap = pf.config.sriov, want["config_sriov_cap"]
    assert (cap.initial_vfs, cap.total_vfs, cap.num_vfs) == (
        wcap["config_initial_vfs"], wcap["config_total_vfs"], wcap["config_num_vfs"])
    assert (cap.vf_offset, cap.vf_stride) == (wcap["vf_offset"], wcap["vf_stride"])
    assert f"{cap.vf_device_id:04x}" == wcap["vf_device_id"]
    assert pf.pcie_type == want["pcie_type"]
    net = host.netdevs[want["netdev"]]
    assert net.mac == want["mac"] and net.operstate.upper() == want["operstate"]


def test_upstream_path_and_acs(case):
    host, exp = case
    (want,) = exp["pfs"]
    path = host.upstream_path(host.devices[want["bdf"]])
    assert [p.address for p in path] == [u["bdf"] for u in want["upstream_path"]]
    for port, u in zip(path, want["upstream_path"]):
        assert port.pcie_type == u["pcie_type"]
        assert (port.acs is not None) == u["acs_capability"]
        assert port.acs.describe(port.acs.control) == u["acs_ctl"]
        assert port.acs.isolating == u["acs_ctl_req_flags_on"]
    for bridge in exp["bridges"]:
        acs = host.devices[bridge["bdf"]].acs
        assert acs.describe(acs.capability) == bridge["acs_cap"]


def test_vfs_drivers_groups_and_pf_view(case):
    host, exp = case
    (want,) = exp["pfs"]
    pf = host.devices[want["bdf"]]
    vfs = host.vfs_of(pf)
    assert len(vfs) == len(want["vfs"]) == want["ip_link_vf_count"]
    for vf, w in zip(vfs, want["vfs"]):
        assert host.vf_index(vf) == w["index"]
        assert vf.address == w["bdf"] and vf.vendor_device == w["vendor_device"]
        assert vf.driver == w["driver"] and vf.driver_override == w["driver_override"]
        assert (vf.netdevs[0] if vf.netdevs else None) == w["netdev"]
        assert vf.iommu_group == w["iommu_group"]
        others = [a for a in host.group_members(vf) if a != vf.address]
        assert others == w["iommu_group_other_members"]
        s = host.vf_settings_for(vf)
        pv = w["pf_view"]
        assert (s.mac, s.vlan, s.spoofchk, s.trust, s.link_state) == (
            pv["mac"], pv["vlan"], pv["spoofchk"], pv["trust"], pv["link_state"])


def test_netdevs(case):
    host, exp = case
    assert sorted(host.netdevs) == sorted(exp["netdevs"])

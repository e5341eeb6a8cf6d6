"""`sriovctl inspect`: the tree, the inventory JSON shape, -c/-f like the openstack CLI."""

from __future__ import annotations

import json

import yaml

from hostbuilder import GUIDE_VFS, guide_host
from testdata import FIXTURES

LAB = str(FIXTURES / "lab-default-7vfs.tar.gz")


def test_tree_shows_pf_ports_and_vfs(cli):
    code, out, _ = cli("inspect", "--root", LAB)
    assert code == 0
    assert "PF 0000:01:00.0  enp1s0  [8086:10c9]  igb" in out
    assert "upstream 0000:00:02.0 Root Port [1b36:000c] ACS SV RR CR UF" in out
    assert "vf 0  0000:01:10.0  enp1s0v0  igbvf     fa:16:3e:fe:47:d2  vlan 1000" in out
    assert "vf 1  0000:01:10.2  -         vfio-pci" in out


def test_inventory_json_shape(cli):
    code, out, _ = cli("inspect", "--root", LAB, "-f", "json")
    inv = json.loads(out)
    assert inv["schema"] == "sriovctl.inventory/1"
    assert set(inv) == {"schema", "host", "iommu", "vf_settings_source", "pfs", "netdevs",
                        "devices"}
    (pf,) = inv["pfs"]
    assert pf["sriov"]["totalvfs"] == 7 and pf["sriov"]["capability"]["total_vfs"] == 8
    assert pf["upstream"][0]["acs"]["isolating"] is True
    vf0 = pf["vfs"][0]
    assert vf0 == {
        "index": 0, "address": "0000:01:10.0", "vendor_device": "8086:10ca",
        "netdev": "enp1s0v0", "driver": "igbvf", "driver_override": None,
        "mac": "fa:16:3e:fe:47:d2", "vlan": 1000, "qos": None, "spoofchk": True, "trust": True,
        "link_state": "auto", "max_tx_rate": 0, "min_tx_rate": 0, "numa_node": None,
        "iommu_group": 6, "iommu_group_members": ["0000:01:10.0"],
    }
    assert yaml.safe_load(cli("inspect", "--root", LAB, "-f", "yaml")[1]) == inv


def test_columns_and_value_format(cli, tmp_path):
    root = guide_host(tmp_path).build()
    code, out, _ = cli("inspect", "--root", root, "-f", "value", "-c", "Address")
    assert out.split() == GUIDE_VFS
    code, out, _ = cli("inspect", "--root", root, "--pf", "0000:31:00.1", "-f", "json", "-c",
                       "Netdev", "-c", "VLAN")
    assert json.loads(out)[0] == {"Netdev": "enp49s0f1v0", "VLAN": 1000}
    code, _, err = cli("inspect", "--root", root, "-c", "Bogus")
    assert code == 2 and "unknown column 'Bogus'" in err


def test_version_and_help(cli):
    code, out, _ = cli("--version")
    assert code == 0 and out.startswith("sriovctl, version")
    code, out, _ = cli("--help")
    assert code == 0 and "inspect" in out and "check" in out and "snapshot" in out


def test_built_hosts_link_netdevs_to_their_pci_device(tmp_path):
    from sriovctl.host.read import load_host

    host = load_host(str(guide_host(tmp_path).build()))
    assert host.netdevs["enp49s0f1"].pci_address == "0000:31:00.1"
    assert host.netdevs["enp49s0f1v4"].pci_address == "0000:31:12.1"

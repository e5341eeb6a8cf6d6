"""`sriovctl explain`: real messages to cause, host evidence and fix."""

from __future__ import annotations

import json

import pytest

from sriovctl.host.read import load_host
from sriovctl.twin.explain import explain

GUIDE_ATTACH = (
    "attaching network adapter failed.: libvirt.libvirtError: 内部错误：无法执行 QEMU 命令 "
    "'device_add'：vfio 0000:0b:10.5: group 3 is not viable"
)
PCI_REQUEST = (
    "PCI device request [InstancePCIRequest(alias_name=<?>,count=1,is_new=<?>,numa_policy=<?>,"
    "request_id=e61e,requester_id='p1',spec=[{physical_network='sriovnet1',"
    "remote_managed='False'}])] failed"
)


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("echo: write error: Device or resource busy", "numvfs.busy"),
        ("write sriov_numvfs: EBUSY", "numvfs.busy"),
        ("bash: echo: write error: Cannot allocate memory", "numvfs.nomem"),
        ("ENOMEM", "numvfs.nomem"),
        ("write error: No space left on device", "numvfs.nospc"),
        ("i40e 0000:3b:00.0: VF 3 is not trusted, switch the VF to trusted to add more "
         "functionality", "vf.not-trusted"),
        (GUIDE_ATTACH, "vfio.group-not-viable"),
        ("nova.exception.PortBindingFailed: Binding failed for port 68e6, please check "
         "neutron logs for more information.", "neutron.binding-failed"),
        ("No valid host was found. There are not enough hosts available.", "nova.no-valid-host"),
        (PCI_REQUEST, "nova.pci-request-failed"),
        ("Exceeded maximum number of retries. Exhausted all hosts available for retrying build "
         "failures for instance 1.", "nova.max-retries"),
        ("No more IP addresses available on network 4057e237.", "neutron.ip-exhausted"),
        ("Invalid input for operation: physical_network 'physnet9' unknown for VLAN provider "
         "network.", "neutron.physnet-unknown"),
    ],
)  # fmt: skip
def test_messages_map_to_their_cause(text, first):
    results = explain(text)
    assert results and results[0]["id"] == first
    assert results[0]["cause"] and results[0]["fix"]
    assert results[0]["evidence"] == []  # no host given


def test_group_not_viable_reads_the_group_from_the_host(shared_root):
    host = load_host(str(shared_root))
    [result] = explain("vfio 0000:03:10.2: group 2 is not viable", host)
    assert result["matched"] == {"address": "0000:03:10.2", "group": "2"}
    evidence = result["evidence"]
    assert evidence[0].startswith("/sys/kernel/iommu_groups/2/devices: 0000:02:00.0 (pcieport), "
                                  "0000:03:00.0 (igb)")  # fmt: skip
    assert evidence[1].startswith("vf.group-shared: VF 0000:03:10.2 shares IOMMU group 2")
    assert any(e.startswith("acs.missing") for e in evidence)
    assert "ACS" in result["fix"]


def test_guide_message_from_another_host_says_so(guide_root):
    [result] = explain(GUIDE_ATTACH, load_host(str(guide_root)))
    assert result["evidence"][0].startswith("0000:0b:10.5 is not on ")


def test_trust_and_numvfs_evidence(guide_root):
    host = load_host(str(guide_root))
    [trust] = explain("VF 0 is not trusted", host)
    assert "enp49s0f1 vf 0 (0000:31:10.1): trust on" in trust["evidence"][0]
    assert "trust off" in trust["evidence"][1]
    [busy] = explain("Device or resource busy", host)
    assert any("enp49s0f1 (0000:31:00.1, igb): sriov_numvfs=7 sriov_totalvfs=7" in e
               for e in busy["evidence"])  # fmt: skip
    assert busy["evidence"][-1] == "no VF is bound to vfio-pci"


def test_pci_request_shows_the_spec():
    [result] = explain(PCI_REQUEST)
    assert result["matched"] == {
        "spec": "[{physical_network='sriovnet1',remote_managed='False'}]"
    }


def test_explain_cli_exit_codes_and_json(cli, guide_root):
    code, out, _ = cli("explain", "--root", str(guide_root), "-f", "json", "ENOSPC")
    assert code == 0
    [result] = json.loads(out)
    assert result["id"] == "numvfs.nospc" and result["evidence"]
    code, out, err = cli("explain", "the", "frobnicator", "melted")
    assert code == 1 and "not recognized" in err
    code, out, _ = cli("explain", "-c", "ID", "-f", "value", "No valid host was found.")
    assert (code, out.strip()) == (0, "nova.no-valid-host")

"""`sriovctl exporter` and `top` on the lab's real kernel: traffic sent through a VF shows
up in its counters.

One boot (~30 s under TCG, plus ~20 s each time Python starts sriovctl there) does
everything: record a VF state file and scrape once before any VF exists, create 3 VFs,
give VF 1 a MAC and VLAN and VF 2 spoofchk off through the PF, pretend a libvirt domain
holds VF 1, start the exporter, scrape it, send frames out of the guest's own VF netdev
enp1s0v0 (which has an IP address), scrape again, run `sriovctl top`, stop the exporter
with SIGTERM. The assertions run on the host.

prometheus_client in the guest is Debian 12's python3-prometheus-client (0.16), so the
exporter is proven with a distribution's client there and with PyPI's on the host.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from labboot import boot
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.lab

FRAMES = 300
PORT_MAC = "fa:16:3e:fe:47:d2"
PF_PCI = "0000:01:00.0"
VF_PCI = ["0000:01:10.0", "0000:01:10.2", "0000:01:10.4"]

GUEST_SCRIPT = f"""
set -u
mkdir -p /run/libvirt/qemu /etc/sriovctl
cp vfs.json /etc/sriovctl/vfs.json
# as after a reboot that did not re-create the VFs: what the numvfs alert compares
sriovctl exporter --once > no-vfs.prom 2> no-vfs.err
echo 3 > /sys/class/net/enp1s0/device/sriov_numvfs
udevadm settle --timeout=60
ip link set enp1s0 up
ip link set enp1s0 vf 1 mac {PORT_MAC} vlan 1000
ip link set enp1s0 vf 2 spoofchk off
ip link set enp1s0v0 up
ip addr add 10.0.2.15/24 dev enp1s0v0
cp domain.xml /run/libvirt/qemu/instance-0000002a.xml
ip -j -s -d link show enp1s0 > pf-link.json
sriovctl exporter --listen 127.0.0.1:9808 --agent-config sriov_agent.ini \\
    > exporter.out 2> exporter.err &
echo $! > exporter.pid
python3 monitor_guest.py
sriovctl top -n 2 --sort tx_pps > top.out 2> top.err < /dev/null; echo $? > top.rc
kill -TERM "$(cat exporter.pid)"; wait "$(cat exporter.pid)"; echo $? > exporter.rc
"""

GUEST_PY = f'''
import json, socket, time, urllib.request

def scrape():
    started = time.monotonic()
    with urllib.request.urlopen("http://127.0.0.1:9808/metrics", timeout=120) as r:
        body = r.read().decode()
    return body, time.monotonic() - started

deadline = time.monotonic() + 300
while True:  # Python starts slowly under TCG
    try:
        before, first_seconds = scrape()
        break
    except OSError:
        if time.monotonic() > deadline:
            raise
        time.sleep(1)
for _ in range(30):  # the VF's carrier follows the PF's link after ~3 s
    if open("/sys/class/net/enp1s0v0/operstate").read().strip() == "up":
        break
    time.sleep(1)
mac = bytes.fromhex(open("/sys/class/net/enp1s0v0/address").read().strip().replace(":", ""))
raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
raw.bind(("enp1s0v0", 0))
for _ in range({FRAMES}):
    raw.send(b"\\xff" * 6 + mac + b"\\x88\\xb5" + b"sriovctl-monitor-lab".ljust(46, b"\\0"))
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # through the IP address too
udp.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"enp1s0v0")
for _ in range(10):
    try:
        udp.sendto(b"x", ("10.0.2.2", 9))
    except OSError:
        pass
time.sleep(2)
after, second_seconds = scrape()
open("before.prom", "w").write(before)
open("after.prom", "w").write(after)
json.dump({{"first_scrape_s": first_seconds, "second_scrape_s": second_seconds}},
          open("timing.json", "w"))
'''

DOMAIN_XML = f"""<domstatus state='running' pid='4242'>
<domain type='kvm' id='7'><name>instance-0000002a</name><devices>
<interface type='hostdev' managed='yes'><mac address='{PORT_MAC}'/>
<source><address type='pci' domain='0x0000' bus='0x01' slot='0x10' function='0x2'/></source>
<vlan><tag id='1000'/></vlan></interface></devices></domain></domstatus>
"""

STATE = {"version": 1, "pfs": {PF_PCI: {"netdev": "enp1s0", "numvfs": 7,
                                         "vfs": {"2": {"spoofchk": True}}}}}


@pytest.fixture(scope="module")
def run():
    """The one boot; fails (never skips) with the reason when the lab cannot run."""
    return boot(GUEST_SCRIPT, {
        "monitor_guest.py": GUEST_PY.encode(), "domain.xml": DOMAIN_XML.encode(),
        "vfs.json": json.dumps(STATE).encode(),
        "sriov_agent.ini": b"[sriov_nic]\nphysical_device_mappings = physnet2:enp1s0\n"},
        "after.prom", extra_detail=lambda r: _read(r.file("exporter.err"))[-2000:])


def _read(path: Path) -> str:
    return path.read_text(errors="replace") if path.exists() else "(missing)"


def metrics(run, name: str) -> dict:
    """{metric name: [samples]} of one scrape taken in the guest."""
    out: dict = {}
    for family in text_string_to_metric_families(run.file(name).read_text()):
        for s in family.samples:
            out.setdefault(s.name, []).append(s)
    return out


def value(samples: dict, name: str, **labels) -> float:
    found = [s.value for s in samples.get(name, []) if all(s.labels.get(k) == v
                                                          for k, v in labels.items())]
    assert len(found) == 1, (name, labels, samples.get(name))
    return found[0]


def test_igb_reports_all_zero_vf_stats_which_is_why_the_vf_netdev_counts(run):
    (pf,) = json.loads(run.file("pf-link.json").read_text())
    stats = [vf.get("stats") for vf in pf["vfinfo_list"]]
    assert len(stats) == 3
    # `ip` shows IFLA_VF_STATS; igb does not implement ndo_get_vf_stats, so all zero, even
    # for VF 0, which has already been up
    for s in stats:
        assert s is None or not any(v for part in s.values() for v in (
            part.values() if isinstance(part, dict) else [part])), stats


def test_traffic_sent_through_the_vf_netdev_shows_up_in_its_counters(run):
    before, after = metrics(run, "before.prom"), metrics(run, "after.prom")
    labels = {"pf": "enp1s0", "vf": "0", "vf_pci": VF_PCI[0], "source": "vf_netdev"}
    sent = (value(after, "sriov_vf_tx_packets_total", **labels)
            - value(before, "sriov_vf_tx_packets_total", **labels))
    assert sent >= FRAMES, sent
    sent_bytes = (value(after, "sriov_vf_tx_bytes_total", **labels)
                  - value(before, "sriov_vf_tx_bytes_total", **labels))
    assert sent_bytes >= FRAMES * 60
    # VF 1 and 2 have netdevs but sent nothing
    assert value(after, "sriov_vf_tx_packets_total", vf="2") == value(
        before, "sriov_vf_tx_packets_total", vf="2")


def test_labels_and_settings_come_from_the_real_pf(run):
    after = metrics(run, "after.prom")
    info = {s.labels["vf"]: s.labels for s in after["sriov_vf_info"]}
    assert [info[str(i)]["vf_pci"] for i in range(3)] == VF_PCI
    assert {i["host"] for i in info.values()} == {"sriovlab"}
    assert {i["physnet"] for i in info.values()} == {"physnet2"}
    assert (info["1"]["domain"], info["1"]["port_mac"]) == ("instance-0000002a", PORT_MAC)
    assert (info["1"]["mac"], info["1"]["vlan"]) == (PORT_MAC, "1000")
    assert info["0"]["netdev"] == "enp1s0v0" and info["0"]["driver"] == "igbvf"
    assert {i["stats_source"] for i in info.values()} == {"vf_netdev"}
    assert value(after, "sriov_vf_spoofchk", vf="2") == 0
    assert value(after, "sriov_vf_spoofchk", vf="0") == 1
    assert value(after, "sriov_vf_spoofchk_persisted", vf="2") == 1
    assert value(after, "sriov_vf_vlan", vf="1") == 1000
    assert value(after, "sriov_vf_in_use", vf="1") == 1


def test_a_pf_without_its_persisted_vfs_is_exported_with_numvfs_0(run):
    """After a reboot that did not re-create the VFs, the PF is still there to alert on."""
    assert _read(run.file("no-vfs.err")) == ""
    before = metrics(run, "no-vfs.prom")
    pf = {"pf": "enp1s0", "pf_pci": PF_PCI}
    assert value(before, "sriov_pf_numvfs", **pf) == 0
    assert value(before, "sriov_pf_numvfs_persisted", **pf) == 7
    assert value(before, "sriov_pf_totalvfs", **pf) == 7
    assert "sriov_vf_info" not in before


def test_pf_metrics_and_the_persisted_count(run):
    after = metrics(run, "after.prom")
    pf = {"pf": "enp1s0", "pf_pci": PF_PCI, "physnet": "physnet2"}
    assert value(after, "sriov_pf_totalvfs", **pf) == 7
    assert value(after, "sriov_pf_numvfs", **pf) == 3
    assert value(after, "sriov_pf_numvfs_persisted", **pf) == 7  # what the alert compares
    assert value(after, "sriov_pf_vfs_in_use", **pf) == 1


def test_sysfs_was_read_once_for_all_scrapes_and_nothing_failed(run):
    after = metrics(run, "after.prom")
    assert value(after, "sriov_exporter_topology_reads_total") == 1
    errors = {s.labels["source"]: s.value for s in after["sriov_exporter_read_errors"]}
    assert set(errors.values()) == {0}, errors
    timing = json.loads(run.file("timing.json").read_text())
    print(f"lab scrape (TCG): {timing}, exporter's own: "
          f"{value(after, 'sriov_exporter_scrape_duration_seconds'):.3f} s")


def test_top_shows_the_vfs_and_exits_cleanly(run):
    assert _read(run.file("top.rc")).strip() == "0", _read(run.file("top.err"))
    out = run.file("top.out").read_text()
    assert "sriovlab: 3 VFs on 1 PF" in out
    # 80 columns (no terminal in the guest): the domain is cut with an ellipsis first
    assert "enp1s0/1" in out and "instance-0000" in out and "netdev" in out


def test_the_exporter_stops_cleanly_on_sigterm(run):
    assert _read(run.file("exporter.rc")).strip() == "0", _read(run.file("exporter.err"))
    err = _read(run.file("exporter.err"))
    assert "serving http://127.0.0.1:9808/metrics — 1 PF, 3 VFs" in err
    assert err.rstrip().endswith("exporter stopped")
    assert os.path.getsize(run.file("exporter.out")) == 0

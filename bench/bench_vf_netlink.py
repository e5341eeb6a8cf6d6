"""Programming VFs: one netlink socket (sriovctl) vs `ip link set` processes (os-net-config).

    sriovctl lab run -- python3 /mnt/src/bench/bench_vf_netlink.py      # in the lab
    sudo .venv/bin/python bench/bench_vf_netlink.py --pf enp1s0           # a real SR-IOV host

Needs root and a PF with 7 VFs (creates them if the PF has none). Each round programs
7 VFs x 4 attributes (mac, vlan, spoofchk, trust), alternating between two sets of values
so every write is a real change, four ways, interleaved so load bursts on a shared machine
hit all of them:
  netlink/attr   one IPRoute socket, one RTM_SETLINK per attribute (28 messages)
  netlink/vf     one IPRoute socket, one RTM_SETLINK per VF (7 messages): what sriovctl does
  ip/attr        one `ip link set PF vf N ATTR V` process per attribute (28): os-net-config
  ip/vf          one `ip link set PF vf N mac .. vlan .. spoofchk .. trust ..` per VF (7)
  pyroute2/attr  IPRoute.link("set", vf={...}) per attribute (28): why sriovctl encodes the
                 messages itself (sriovctl.changes.rtnl) instead
Prints medians and the ratios; the target is ip/attr >= 10x netlink/attr.
This is a benchmark, so it may spawn `ip`; product code never does.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from sriovctl.changes.netlink import IPRouteNetlink  # noqa: E402

VFS = 7
VALUES = [  # two settings per VF; rounds alternate so the driver always has work to do
    {"mac": "fa:16:3e:00:00:{:02x}", "vlan": 100, "spoofchk": True, "trust": True},
    {"mac": "fa:16:3e:00:01:{:02x}", "vlan": 200, "spoofchk": False, "trust": False},
]


def settings(vf: int, which: int) -> dict:
    v = VALUES[which]
    return {"mac": v["mac"].format(vf), "vlan": v["vlan"], "qos": 0, "spoofchk": v["spoofchk"],
            "trust": v["trust"]}


def ip_words(key: str, value) -> list[str]:
    if isinstance(value, bool):
        return [key, "on" if value else "off"]
    return [key, str(value)]


def netlink_attr(nl: IPRouteNetlink, pf: str, which: int) -> None:
    for vf in range(VFS):
        s = settings(vf, which)
        nl.set_vf(pf, vf, {"mac": s["mac"]})
        nl.set_vf(pf, vf, {"vlan": s["vlan"], "qos": 0})
        nl.set_vf(pf, vf, {"spoofchk": s["spoofchk"]})
        nl.set_vf(pf, vf, {"trust": s["trust"]})


def netlink_vf(nl: IPRouteNetlink, pf: str, which: int) -> None:
    for vf in range(VFS):
        nl.set_vf(pf, vf, settings(vf, which))


def pyroute2_attr(ipr, index: int, which: int) -> None:
    for vf in range(VFS):
        s = settings(vf, which)
        ipr.link("set", index=index, vf={"vf": vf, "mac": s["mac"]})
        ipr.link("set", index=index, vf={"vf": vf, "vlan": {"vlan": s["vlan"], "qos": 0}})
        ipr.link("set", index=index, vf={"vf": vf, "spoofchk": int(s["spoofchk"])})
        ipr.link("set", index=index, vf={"vf": vf, "trust": int(s["trust"])})


def ip_attr(pf: str, which: int) -> None:
    for vf in range(VFS):
        s = settings(vf, which)
        for key in ("mac", "vlan", "spoofchk", "trust"):
            subprocess.run(["ip", "link", "set", pf, "vf", str(vf), *ip_words(key, s[key])],
                           check=True)


def ip_vf(pf: str, which: int) -> None:
    for vf in range(VFS):
        s = settings(vf, which)
        words = [w for k in ("mac", "vlan", "spoofchk", "trust") for w in ip_words(k, s[k])]
        subprocess.run(["ip", "link", "set", pf, "vf", str(vf), *words], check=True)


def prepare(pf: str) -> None:
    dev = f"/sys/class/net/{pf}/device"
    with open(f"{dev}/sriov_numvfs") as f:
        if int(f.read()) < VFS:
            with open(f"{dev}/sriov_numvfs", "w") as w:
                w.write("0")
            with open(f"{dev}/sriov_numvfs", "w") as w:
                w.write(str(VFS))
    subprocess.run(["ip", "link", "set", pf, "up"], check=True)
    time.sleep(2)


def check(nl: IPRouteNetlink, pf: str, which: int) -> None:
    got = {s.index: s for s in nl.vfs(pf)}
    for vf in range(VFS):
        want = settings(vf, which)
        have = got[vf]
        assert (have.mac, have.vlan, have.spoofchk, have.trust) == (
            want["mac"], want["vlan"], want["spoofchk"], want["trust"]), (vf, have)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pf", default="enp1s0")
    ap.add_argument("--rounds", type=int, default=11)
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("needs root (it programs VFs)", file=sys.stderr)
        return 2
    prepare(args.pf)
    nl = IPRouteNetlink()
    from pyroute2 import IPRoute

    ipr = IPRoute()
    index = nl.index(args.pf)
    cases = {
        "netlink/attr": lambda w: netlink_attr(nl, args.pf, w),
        "netlink/vf": lambda w: netlink_vf(nl, args.pf, w),
        "ip/attr": lambda w: ip_attr(args.pf, w),
        "ip/vf": lambda w: ip_vf(args.pf, w),
        "pyroute2/attr": lambda w: pyroute2_attr(ipr, index, w),
    }
    times: dict[str, list[float]] = {k: [] for k in cases}
    which = 0
    for _ in range(args.rounds):
        for name, run in cases.items():
            which ^= 1
            t = time.perf_counter()
            run(which)
            times[name].append(time.perf_counter() - t)
            check(nl, args.pf, which)  # outside the timing: every method really programs
    nl.close()
    ipr.close()
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"{VFS} VFs x 4 attributes (mac, vlan, spoofchk, trust) on {args.pf}, "
          f"{args.rounds} interleaved rounds, kernel {os.uname().release}")
    print(f"{'method':14} {'median ms':>10} {'min ms':>9} {'ms/attribute':>13}")
    for name, values in times.items():
        print(f"{name:14} {med[name] * 1e3:10.1f} {min(values) * 1e3:9.1f} "
              f"{med[name] * 1e3 / (VFS * 4):13.2f}")
    print(f"ratio ip/attr : netlink/attr = {med['ip/attr'] / med['netlink/attr']:.1f}x "
          "(os-net-config's pattern vs the same messages on one socket; target >= 10x)")
    print(f"ratio ip/attr : netlink/vf   = {med['ip/attr'] / med['netlink/vf']:.1f}x "
          "(os-net-config vs sriovctl as shipped)")
    print(f"ratio ip/vf   : netlink/vf   = {med['ip/vf'] / med['netlink/vf']:.1f}x "
          "(one process per VF vs one message per VF)")
    print(f"ratio pyroute2/attr : netlink/attr = "
          f"{med['pyroute2/attr'] / med['netlink/attr']:.1f}x (IPRoute.link('set') per "
          "attribute vs the same bytes pre-encoded)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Runs INSIDE the lab guest: the VF lifecycle on a real kernel, facts to vfs-facts.json.

Boot 1 (`python3 lab_guest.py lifecycle`): sriovctl's commands, run in-process through
`sriovctl.cli.main.main` (one Python start-up instead of one per command: each costs
~15 s under TCG), plus two real `sriovctl` processes for the signal tests and one udev
re-plug of the PF. The kernel's own view (`ip -j -d link`, sysfs, `bridge fdb`) is recorded
next to sriovctl's answers. Boot 2 (`python3 lab_guest.py reboot`): a fresh boot of the
same image with boot 1's /etc files put back, running the unit's ExecStart. It asserts
nothing: the host-side tests do.
"""

from __future__ import annotations

import errno
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, "/mnt/src/tests/lab")
from guestlib import cli, sh  # noqa: E402 - from the source share

PF = "enp1s0"
DEV = f"/sys/class/net/{PF}/device"
STATE = "/etc/sriovctl/vfs.json"
UNIT = "/etc/systemd/system/sriovctl-vfs.service"
RULES = ("/etc/udev/rules.d/70-sriovctl-vfs.rules",
         "/etc/udev/rules.d/80-sriovctl-nm-unmanaged.rules")
facts: dict = {}


def save() -> None:
    with open("vfs-facts.json", "w") as f:
        json.dump(facts, f, indent=1)


def numvfs() -> int:
    with open(f"{DEV}/sriov_numvfs") as f:
        return int(f.read())


def kernel_vfs() -> list:
    links = json.loads(sh("ip", "-j", "-d", "link", "show", PF) or "[{}]")
    return links[0].get("vfinfo_list", [])


def vf_view() -> dict:
    """Per VF: driver and netdev from sysfs, settings from the kernel (ip -j -d link)."""
    out = {"numvfs": numvfs(), "vfs": []}
    settings = {v["vf"]: v for v in kernel_vfs()}
    for i in range(out["numvfs"]):
        base = f"{DEV}/virtfn{i}"
        driver = os.path.basename(os.readlink(f"{base}/driver")) \
            if os.path.islink(f"{base}/driver") else None
        net = sorted(os.listdir(f"{base}/net")) if os.path.isdir(f"{base}/net") else []
        out["vfs"].append({"driver": driver, "netdevs": net, "ip": settings.get(i, {})})
    return out


def write_numvfs(value: str) -> str:
    try:
        with open(f"{DEV}/sriov_numvfs", "w") as f:
            f.write(value)
        return "ok"
    except OSError as e:
        return errno.errorcode.get(e.errno or 0, str(e.errno))


def interrupted_run(args: list[str], at: str, sig: int) -> dict:
    """Run sriovctl as a real process and send `sig` when its progress shows `at`."""
    started = time.monotonic()
    p = subprocess.Popen(["sriovctl", *args], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    lines, sent = [], None
    assert p.stderr is not None
    for line in p.stderr:
        lines.append(line.rstrip("\n"))
        if sent is None and at in line:
            p.send_signal(sig)
            sent = round(time.monotonic() - started, 2)
    out = p.stdout.read() if p.stdout else ""
    return {"rc": p.wait(), "stderr": lines, "stdout": out, "signal_at": sent,
            "seconds": round(time.monotonic() - started, 2)}


def wait_for(predicate, seconds: float) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if predicate():
            return round(time.monotonic() - started, 1)
        time.sleep(0.5)
    return None


def step(name: str, fn) -> None:
    try:
        facts[name] = fn()
    except Exception as e:  # noqa: BLE001 - record it; the host-side test says what failed
        facts[name] = {"exception": f"{type(e).__name__}: {e}"}
    save()


def lifecycle() -> None:
    facts["kernel"] = os.uname().release
    step("create7", lambda: {**cli("vfs", "set", PF, "7"), "after": vf_view()})
    step("again7", lambda: {**cli("vfs", "set", PF, "7"), "after": vf_view()})
    step("direct_3_while_7", lambda: write_numvfs("3"))
    step("resize3", lambda: {**cli("vfs", "set", PF, "3"), "after": vf_view()})
    step("grow7", lambda: {**cli("vfs", "set", PF, "7"), "after": vf_view()})
    sh("ip", "link", "set", PF, "up")
    wait_for(lambda: open(f"/sys/class/net/{PF}/operstate").read().strip() == "up", 10)
    step("program", lambda: {**cli("vfs", "set", PF, "vf", "0", "mac", "fa:16:3e:fe:47:d2",
                                   "vlan", "1000", "spoofchk", "on", "trust", "on"),
                             "after": vf_view()})
    step("show", lambda: {**cli("vfs", "show", PF, "-f", "json")})
    step("refuse_link_state", lambda: {**cli("vfs", "set", PF, "vf", "1", "state", "enable"),
                                       "after": vf_view()})
    step("kernel_refusal", kernel_refusal)
    step("zero_mac", lambda: {"set": cli("vfs", "set", PF, "vf", "4", "mac",
                                         "fa:16:3e:00:00:04", "--no-save"),
                              "zero": cli("vfs", "set", PF, "vf", "4", "mac",
                                          "00:00:00:00:00:00", "--no-save"),
                              "after": vf_view()})
    step("bind", lambda: {**cli("vfs", "bind", f"{PF}/1", "vfio-pci"), "after": vf_view()})
    step("refuse_resize", lambda: {**cli("vfs", "set", PF, "3"), "after": vf_view()})
    step("force_resize", lambda: {**cli("vfs", "set", PF, "3", "--force"), "after": vf_view()})
    step("diff_after_force", lambda: cli("vfs", "diff", "-f", "json"))
    step("apply", lambda: {**cli("vfs", "apply"), "after": vf_view()})
    step("diff_after_apply", lambda: cli("vfs", "diff", "--exit-code"))
    step("sigint", lambda: {**interrupted_run(["vfs", "set", PF, "5"], "sriov_numvfs -> 5",
                                              signal.SIGINT), "after": vf_view()})
    step("sigterm", lambda: {**interrupted_run(["vfs", "set", PF, "6"], "[1/",
                                               signal.SIGTERM), "after": vf_view()})
    step("state_after_signals", lambda: json.load(open(STATE)))
    step("fdb", fdb)
    step("persist", persist)
    step("replug", replug)


def kernel_refusal() -> dict:
    """A failure the capability table does not predict, so the kernel itself refuses."""
    from sriovctl.changes.executor import execute
    from sriovctl.errors import ChangeFailed
    from sriovctl.vfs import capabilities, context
    from sriovctl.vfs.program import plan_settings
    from sriovctl.vfs.settings import VfConfig

    env = context.make_env("/")
    host = env.host()
    igb = capabilities.TABLE.pop("igb")  # as if igb were a driver the table does not know
    try:
        plan = plan_settings(env, host, context.find_pf(host, PF),
                             {2: VfConfig(trust=True), 3: VfConfig(link_state="enable")})
        before = vf_view()
        try:
            execute(plan)
            return {"error": None}
        except ChangeFailed as e:
            return {"error": e.one_line(), "before": before, "after": vf_view()}
    finally:
        capabilities.TABLE["igb"] = igb
        env.netlink.close()


def fdb() -> dict:
    mac = "fa:16:3e:11:22:33"
    return {"add": cli("fdb", "add", PF, mac), "bridge_after_add": sh("bridge", "fdb", "show",
                                                                       "dev", PF),
            "show": cli("fdb", "show", PF, "-f", "json"), "again": cli("fdb", "add", PF, mac),
            "del": cli("fdb", "del", PF, mac),
            "bridge_after_del": sh("bridge", "fdb", "show", "dev", PF)}


def persist() -> dict:
    result = cli("vfs", "persist", "--nm-unmanaged")
    for path in (STATE, UNIT, *RULES):  # flat names: the host copies them to boot 2
        if os.path.exists(path):
            shutil.copy(path, "persist-" + os.path.basename(path))
    verify = subprocess.run(["systemd-analyze", "verify", UNIT], capture_output=True,
                            text=True, check=False)
    result["analyze"] = {"rc": verify.returncode, "out": verify.stdout + verify.stderr}
    result["wants"] = os.readlink("/etc/systemd/system/multi-user.target.wants/"
                                  "sriovctl-vfs.service")
    return result


def replug() -> dict:
    """Unload and reload igb: the PF netdev is added again and the udev rule must run."""
    want = json.load(open(STATE))["pfs"]["0000:01:00.0"]["numvfs"]
    sh("modprobe", "-r", "igb")
    gone = not os.path.exists(DEV)
    started = time.monotonic()
    sh("modprobe", "igb")
    waited = wait_for(lambda: os.path.exists(DEV) and numvfs() == want and any(
        v.get("address") == "fa:16:3e:fe:47:d2" for v in kernel_vfs()), 240)
    subprocess.run(["udevadm", "settle", "--timeout=60"], check=False)
    return {"pf_was_gone": gone, "seconds": waited, "want": want,
            "total_seconds": round(time.monotonic() - started, 1), "after": vf_view()}


def reboot() -> None:
    """A fresh boot with boot 1's files back in /etc: run what systemd would run."""
    facts["kernel"] = os.uname().release
    facts["before"] = vf_view()
    for name, path in (("vfs.json", STATE), ("sriovctl-vfs.service", UNIT),
                       *((os.path.basename(r), r) for r in RULES)):
        if os.path.exists(f"persist-{name}"):
            os.makedirs(os.path.dirname(path), exist_ok=True)
            shutil.copy(f"persist-{name}", path)
    exec_start = next(line.split("=", 1)[1] for line in open(UNIT)
                      if line.startswith("ExecStart="))
    started = time.monotonic()
    run = subprocess.run(shlex.split(exec_start), capture_output=True, text=True, check=False)
    facts["exec_start"] = {"argv": shlex.split(exec_start), "rc": run.returncode,
                           "stdout": run.stdout, "stderr": run.stderr,
                           "seconds": round(time.monotonic() - started, 1)}
    facts["after"] = vf_view()
    facts["diff"] = cli("vfs", "diff", "--exit-code")
    save()


if __name__ == "__main__":
    {"lifecycle": lifecycle, "reboot": reboot}[sys.argv[1]]()
    save()

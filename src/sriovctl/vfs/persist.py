"""`sriovctl vfs persist`: VFs and their settings come back after a reboot. Replaces the
guide's `echo 7 > .../sriov_numvfs` line in rc.local, which runs too late (after
NetworkManager, OVS and the neutron agent have looked for VFs), cannot resize, and forgets
every VF setting.

Three files, all re-applying the state file through `sriovctl vfs apply`:
  - a systemd oneshot, ordered Before=network-pre.target NetworkManager openvswitch (and the
    agents), After=systemd-udev-settle, as os-net-config's sriov_config.service and the SR-IOV
    operator's systemd mode do;
  - a udev rule per PF that runs the same apply when the PF's netdev (re)appears: a driver
    reload, a PF handed back by a guest, a hot-plug; a lock keeps it from racing the unit;
  - optionally, a udev rule that sets NM_UNMANAGED on the PF's VFs, so NetworkManager does
    not start DHCP on every VF.
"""

from __future__ import annotations

import shutil
import sys
from typing import Optional

from sriovctl.changes.commands import RunCommand
from sriovctl.changes.files import LinkFile, WriteFile
from sriovctl.changes.step import Plan
from sriovctl.changes.units import HEADER, exec_line, render_unit, udev_rule
from sriovctl.host.model import Host, PciDevice
from sriovctl.vfs.context import Env
from sriovctl.vfs.state import STATE_PATH, State, save_step

UNIT_NAME = "sriovctl-vfs.service"
UNIT_PATH = f"/etc/systemd/system/{UNIT_NAME}"
WANTS_PATH = f"/etc/systemd/system/multi-user.target.wants/{UNIT_NAME}"
PF_RULES = "/etc/udev/rules.d/70-sriovctl-vfs.rules"
NM_RULES = "/etc/udev/rules.d/80-sriovctl-nm-unmanaged.rules"
BEFORE = ("network-pre.target", "NetworkManager.service", "systemd-networkd.service",
          "openvswitch.service", "openvswitch-switch.service", "ovs-vswitchd.service",
          "neutron-sriov-nic-agent.service", "neutron-sriov-agent.service",
          "nova-compute.service", "libvirtd.service")
BOOT_WAIT_PF = 60


def sriovctl_argv() -> list[str]:
    """How boot-time code should call this sriovctl: its script, else this Python."""
    found = shutil.which("sriovctl")
    return [found] if found else [sys.executable, "-m", "sriovctl"]


def render_unit_file(argv: list[str], state_path: str = STATE_PATH) -> str:
    apply = [*argv, "vfs", "apply", "--state", state_path, "--wait-pf", str(BOOT_WAIT_PF)]
    return render_unit([
        ("Unit", [
            ("Description", "sriovctl: re-create SR-IOV VFs and their settings"),
            ("ConditionPathExists", state_path),
            ("After", "systemd-udev-settle.service systemd-modules-load.service"),
            ("Wants", "network-pre.target"),
            ("Before", " ".join(BEFORE)),
        ]),
        ("Service", [
            ("Type", "oneshot"),
            ("RemainAfterExit", "yes"),
            ("ExecStart", exec_line(apply)),
            ("TimeoutStartSec", "600"),
        ]),
        ("Install", [("WantedBy", "multi-user.target")]),
    ], header=HEADER.format(what=f"from {state_path}", command="sriovctl vfs persist"))


def render_pf_rules(state: State, argv: list[str]) -> str:
    lines = [HEADER.format(what="PFs that reappear get their VFs back",
                           command="sriovctl vfs persist").rstrip("\n")]
    for address, pf in sorted(state.pfs.items()):
        run = exec_line([*argv, "vfs", "apply", "--state", state.path, "--pf", address,
                         "--wait-pf", "30"])
        lines.append(f"# {pf.netdev or address}: VFs and settings from {state.path}")
        lines.append(udev_rule([("ACTION", "==", "add"), ("SUBSYSTEM", "==", "net"),
                                ("KERNELS", "==", address)], [("RUN", "+=", run)]))
    return "\n".join(lines) + "\n"


def possible_vf_addresses(pf: PciDevice) -> list[str]:
    """Every address a VF of this PF can have (up to TotalVFs), from First VF Offset and
    VF Stride, so the rule covers VFs created later too."""
    found = [a for _, a in pf.virtfns]
    s = pf.sriov
    if s is None or not s.totalvfs or s.offset is None or s.stride is None:
        return found
    dom, bus, rest = pf.address.split(":")
    slot, func = rest.split(".")
    rid = int(bus, 16) << 8 | int(slot, 16) << 3 | int(func)
    for i in range(s.totalvfs):
        r = rid + s.offset + i * s.stride
        addr = f"{dom}:{r >> 8 & 0xFF:02x}:{r >> 3 & 0x1F:02x}.{r & 7}"
        if addr not in found:
            found.append(addr)
    return found


def render_nm_rules(state: State, host: Host) -> str:
    lines = [HEADER.format(what="NetworkManager leaves these VFs alone",
                           command="sriovctl vfs persist --nm-unmanaged").rstrip("\n")]
    for address, want in sorted(state.pfs.items()):
        pf = host.devices.get(address)
        if pf is None:
            continue
        lines.append(f"# VFs of {want.netdev or address}")
        lines.append(udev_rule([("ACTION", "==", "add|change|move"), ("SUBSYSTEM", "==", "net"),
                                ("KERNELS", "==", "|".join(possible_vf_addresses(pf)))],
                               [("ENV{NM_UNMANAGED}", "=", "1")]))
    return "\n".join(lines) + "\n"


def plan_persist(env: Env, state: State, host: Host, nm_unmanaged: bool = False,
                 argv: Optional[list[str]] = None) -> Plan:
    argv = argv or sriovctl_argv()
    plan = Plan("persist VFs")
    save = save_step(env.files, state, "the VF counts and settings to re-apply")
    if save:
        plan.add(save)
    wanted = [(UNIT_PATH, render_unit_file(argv, state.path), "boot: re-create VFs early"),
              (PF_RULES, render_pf_rules(state, argv), "a PF that reappears gets its VFs")]
    if nm_unmanaged:
        wanted.append((NM_RULES, render_nm_rules(state, host), "NetworkManager off the VFs"))
    for path, text, why in wanted:
        old = env.files.read(path)
        if old is None or old.content != text.encode():
            plan.add(WriteFile(env.files, path, text, 0o644, why=why))
    if env.files.readlink(WANTS_PATH) != UNIT_PATH:
        plan.add(LinkFile(env.files, WANTS_PATH, UNIT_PATH, why="enable the unit"))
    wrote = any(isinstance(s, (WriteFile, LinkFile)) for s in plan.steps)
    root = env.reader()
    if wrote and root.exists("/run/systemd/system"):
        plan.add(RunCommand(env.commands, ["systemctl", "daemon-reload"],
                            why="systemd reads the new unit"))
    if wrote and root.exists("/run/udev/control"):
        plan.add(RunCommand(env.commands, ["udevadm", "control", "--reload"],
                            why="udev reads the new rules"))
    if not plan:
        plan.notes.append(f"already persistent: {UNIT_PATH} and {PF_RULES} are current")
    return plan

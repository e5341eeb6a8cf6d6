"""`sriovctl lab demo`: the guide's SR-IOV procedure on a real kernel, narrated.

The demo is a list of Steps turned into one guest bash script (one boot, ~20 s of
it under TCG). A step that needs a sriovctl command which does not exist yet says
so and is skipped, so adding a step when a command lands is one entry in steps().
"""

from __future__ import annotations

import shlex
import textwrap
from dataclasses import dataclass
from typing import Optional

# the PF's netdev depends on the topology (enp1s0, enp3s0 behind a switch): find it
FIND_PF = ('PF=$(for n in /sys/class/net/*; do [ "$(basename "$(readlink $n/device/driver)")" '
           '= igb ] && basename $n && break; done)')
VF0_MAC = "fa:16:3e:fe:47:d2"
VF0_VLAN = 1000


@dataclass(frozen=True)
class Step:
    title: str
    why: str  # the narration: what this step shows and why it matters
    commands: tuple[str, ...]  # bash, run in the guest as root, each shown before it runs
    needs: Optional[str] = None  # a sriovctl command this step depends on
    expect_ok: bool = True  # a failing command fails the demo
    instead: tuple[str, ...] = ()  # run these when `needs` does not exist (else: skip)


def available_commands() -> set[str]:
    """sriovctl commands whose module exists in this tree (the guest runs the same tree).

    COMMANDS may name a command before its module is written, so look for the module."""
    from importlib.util import find_spec

    from sriovctl.cli.main import COMMANDS

    return {name for name, target in COMMANDS.items() if find_spec(target.split(":")[0])}


def steps() -> list[Step]:
    dev = "/sys/class/net/$PF/device"
    return [
        Step("The machine",
             "A real Linux kernel on QEMU's q35 with VT-d; the NIC is an emulated Intel 82576 "
             "(igb), the same family as the guide's I350. The kernel was started with "
             "intel_iommu=on iommu=pt, as the guide asks.",
             ("uname -r", "cat /proc/cmdline")),
        Step("Check the host before any change",
             "sriovctl check reads the kernel's view (sysfs, /proc) and says what stands "
             "between this host and SR-IOV passthrough. No VFs exist yet.",
             ("sriovctl check",), needs="check", expect_ok=False),
        Step("The PF and how many VFs it can have",
             "The igb driver caps the 82576 at 7 VFs (its config space says 8).",
             (f"cat {dev}/sriov_totalvfs {dev}/sriov_numvfs",)),
        Step("Create 7 VFs through sysfs",
             "The guide's step: write the count to sriov_numvfs. udev then names the VF "
             "netdevs <PF>v0..6 and the igbvf driver binds them.",
             (f"echo 7 > {dev}/sriov_numvfs", "udevadm settle", f"cat {dev}/sriov_numvfs")),
        Step("What sriovctl sees now",
             "sriovctl's own model of the host: PF, VFs, drivers, IOMMU groups, NUMA.",
             ("sriovctl inspect",), needs="inspect"),
        Step("The VFs as `ip link` and `lspci` would show them, from sriovctl's model",
             "Rendered from `sriovctl inspect -f json` alone: the PF's vf lines as iproute2 "
             "prints them, and the PCI functions with their IDs and drivers.",
             ("sriovctl inspect -f json > /tmp/inventory.json",
              "python3 -m sriovctl.lab.views ip-link /tmp/inventory.json",
              "python3 -m sriovctl.lab.views lspci /tmp/inventory.json"), needs="inspect"),
        Step("The kernel's own tools agree",
             "The same machine through iproute2 and pciutils: seven virtual functions "
             "[8086:10ca] and a vf line per VF under the PF.",
             ("ip link show $PF", "lspci -D -nn -d 8086:")),
        Step("Configure VF 0 for a `direct` port",
             f"Neutron's SR-IOV agent sets the port's MAC and VLAN on the VF through the PF; "
             f"here by hand (sriovctl vfs set, or ip link where that is missing): mac {VF0_MAC}, "
             f"vlan {VF0_VLAN}, spoof checking on.",
             ("ip link set $PF up",
              f"sriovctl vfs set $PF vf 0 mac {VF0_MAC} vlan {VF0_VLAN} spoofchk on --no-save",
              "sriovctl vfs show $PF -c VF -c Netdev -c Driver -c MAC -c VLAN -c Spoofchk"),
             needs="vfs",
             instead=("ip link set $PF up",
                      f"ip link set $PF vf 0 mac {VF0_MAC} vlan {VF0_VLAN} spoofchk on",
                      "ip link show $PF | grep -E '^ +vf 0 '")),
        Step("sriovctl reads VF 0's new settings back",
             "The model reads VF settings over netlink, as `ip link` does.",
             ("sriovctl inspect -f json > /tmp/inventory.json",
              "python3 -m sriovctl.lab.views ip-link /tmp/inventory.json | grep -E '^ +vf 0 '"),
             needs="inspect"),
        Step("The nova and neutron configuration for this host",
             "Steps 2-5 of the guide, rendered from this host: nova-compute's device_spec "
             "selecting the PF's VFs for physnet sriovnet1, PciPassthroughFilter for the "
             "scheduler, sriovnicswitch and VLAN ranges for neutron-server, the SR-IOV agent's "
             "mapping.",
             ("sriovctl openstack render --physnet sriovnet1=$PF",),
             needs="openstack"),
        Step("What nova gives the VM for this port",
             "The libvirt interface nova writes for a `direct` port on VF 0.",
             (f"sriovctl openstack libvirt ${{PF}}v0 --vnic-type direct --mac {VF0_MAC} "
              f"--vlan {VF0_VLAN}",),
             needs="openstack"),
        Step("Check the host again",
             "With VFs present and bound, the verdict changes.",
             ("sriovctl check",), needs="check", expect_ok=False),
        Step("The VF driver inside the guest is igbvf",
             "What a VM with this VF passed through would load: the igbvf driver.",
             ("ethtool -i ${PF}v0 | head -1",
              f"test \"$(basename \"$(readlink {dev}/virtfn0/driver)\")\" = igbvf "
              "&& echo 'VF 0 driver: igbvf'")),
    ]


def script(selected: list[Step], commands: Optional[set[str]] = None) -> str:
    """The guest bash script that narrates and runs the steps; exits 1 if any failed."""
    have = available_commands() if commands is None else commands
    total = len(selected)
    lines = [
        "#!/bin/bash",
        "export LC_ALL=C COLUMNS=120",
        "FAILED=0",
        "wrap() { fold -s -w 96 | sed 's/^/   /'; }",
        FIND_PF,
        # `python3 -m sriovctl.lab.views` needs the shared tree on the path, as the wrapper has
        "[ -d /mnt/src/src ] && export PYTHONPATH=/mnt/src/src || export PYTHONPATH=/mnt/src",
        'echo "(the igb PF in this machine is $PF)"',
    ]
    for number, step in enumerate(selected, 1):
        lines.append(f"echo; echo {shlex.quote(f'== Step {number}/{total}: {step.title}')}")
        lines.append(f"echo {shlex.quote(step.why)} | wrap")
        commands = step.commands
        if step.needs and step.needs not in have:
            if not step.instead:
                note = f"(skipped: 'sriovctl {step.needs}' does not exist yet)"
                lines.append(f"echo {shlex.quote(note)} | wrap")
                continue
            commands = step.instead
        for command in commands:
            lines.append(f"echo {shlex.quote('$ ' + command)}")
            lines.append(command)
            if step.expect_ok:
                lines.append(f"[ $? -eq 0 ] || {{ FAILED=1; echo {shlex.quote('(failed)')}; }}")
    lines.append(textwrap.dedent("""\
        echo
        if [ $FAILED = 0 ]; then echo '== Demo complete'; else echo '== Demo: a step failed'; fi
        exit $FAILED"""))
    return "\n".join(lines) + "\n"

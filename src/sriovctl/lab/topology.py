"""The lab's machines: which QEMU devices, and which kernel arguments, per topology.

Each topology reproduces a situation found on real hosts:
  default                igb behind a PCIe root port with ACS, VT-d on: each VF its own group
  two-nics               two igb PFs, each behind its own root port (physnet mappings)
  no-iommu               no VT-d at all: no DMAR table, no IOMMU groups
  iommu-off              VT-d present but intel_iommu=off (the Debian default): no groups
  shared-group           igb behind a PCIe switch without ACS: the downstream port, the PF
                         and all VFs share one group ("group is not viable" in nova/vfio)
  shared-group-rootport  igb behind a root port with ACS disabled: same sharing
"""

from __future__ import annotations

from dataclasses import dataclass

# no_timer_check: on a busy host TCG can miss the kernel's early IO-APIC timer test,
# which with interrupt remapping is a panic ("timer doesn't work through
# Interrupt-remapped IO-APIC"); the usual setting for virtual machines.
BASE_CMDLINE = ("root=/dev/vda", "rw", "console=ttyS0", "quiet", "loglevel=4", "panic=-1",
                "no_timer_check")
IOMMU_ON = ("intel_iommu=on", "iommu=pt")
INIT = "init=/sbin/sriovctl-lab-init"
SYSTEMD_INIT = "init=/lib/systemd/systemd"
IOMMU_DEVICE = "intel-iommu,intremap=on,caching-mode=on"
# how a PF hangs off the machine
ATTACH_ROOT_PORT = "root-port"
ATTACH_ROOT_PORT_NO_ACS = "root-port-no-acs"
ATTACH_SWITCH = "switch"
MAX_NICS = 8


@dataclass(frozen=True)
class Topology:
    name: str
    summary: str
    nics: int = 1
    iommu: str = "on"  # on | off (device present, kernel told off) | none (no device)
    attach: str = ATTACH_ROOT_PORT


TOPOLOGIES = {
    t.name: t
    for t in (
        Topology("default", "igb behind a PCIe root port, VT-d on: each VF in its own group"),
        Topology("two-nics", "two igb PFs, each behind its own root port", nics=2),
        Topology("no-iommu", "no VT-d: no DMAR table, no IOMMU groups", iommu="none"),
        Topology("iommu-off", "VT-d present but intel_iommu=off: no IOMMU groups", iommu="off"),
        Topology("shared-group", "igb behind a PCIe switch without ACS: PF and VFs share "
                 "one IOMMU group", attach=ATTACH_SWITCH),
        Topology("shared-group-rootport", "igb behind a root port with ACS disabled: PF and "
                 "VFs share one IOMMU group", attach=ATTACH_ROOT_PORT_NO_ACS),
    )
}


def get(name: str) -> Topology:
    try:
        return TOPOLOGIES[name]
    except KeyError:
        from sriovctl.errors import InputError

        raise InputError(f"unknown lab topology {name!r}",
                         fix=f"choose one of: {', '.join(TOPOLOGIES)}") from None


def pf_mac(index: int) -> str:
    return f"52:54:00:12:34:{0x56 + index:02x}"


def nic_args(topology: Topology, nics: int) -> list[str]:
    """-netdev/-device arguments for `nics` igb PFs attached the topology's way."""
    args: list[str] = []
    for i in range(nics):
        port = f"pcie-root-port,id=rp{i},chassis={i + 1},slot={i + 1}"
        parent = f"rp{i}"
        # restrict: the guest reaches nothing outside. ipv6=off: otherwise QEMU's slirp
        # sends router advertisements and the PF gets an IPv6 default route, which a
        # data-plane PF on a real host does not carry (sriovctl check would warn).
        args += ["-netdev", f"user,id=n{i},restrict=on,ipv6=off"]
        if topology.attach == ATTACH_ROOT_PORT_NO_ACS:
            port += ",disable-acs=on"
        args += ["-device", port]
        if topology.attach == ATTACH_SWITCH:
            # QEMU's TI XIO3130 switch ports have no ACS capability
            downstream = f"xio3130-downstream,id=dn{i},bus=up{i},chassis={i + 1},slot={i + 17}"
            args += ["-device", f"x3130-upstream,id=up{i},bus=rp{i}", "-device", downstream]
            parent = f"dn{i}"
        args += ["-device", f"igb,netdev=n{i},bus={parent},mac={pf_mac(i)}"]
    return args


def iommu_args(topology: Topology) -> list[str]:
    return [] if topology.iommu == "none" else ["-device", IOMMU_DEVICE]


def kernel_cmdline(topology: Topology, mode: str = "run", extra: str = "",
                   init: str = "lab") -> str:
    """init 'lab': the lab's own PID 1 (~14 s to the script on a quiet machine); 'systemd':
    a full systemd boot (~6 s more) whose unit sriovctl-lab.service runs the same script, for
    tests that need a real service manager (restarting units, boot-time units)."""
    words = list(BASE_CMDLINE)
    if topology.iommu == "on":
        words += IOMMU_ON
    elif topology.iommu == "off":
        words.append("intel_iommu=off")
    if init == "systemd":
        words += [SYSTEMD_INIT, "lab.init=systemd", f"lab.mode={mode}"]
    elif init == "lab":
        words += [INIT, f"lab.mode={mode}"]
    else:
        raise ValueError(f"unknown lab init {init!r}")
    if extra:
        words += extra.split()
    return " ".join(words)


def describe(topology: Topology, nics: int) -> str:
    return f"{topology.name} ({nics} igb PF{'s' if nics != 1 else ''}, VT-d {topology.iommu})"

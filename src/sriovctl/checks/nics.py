"""SR-IOV capable NICs: present, enabled in firmware, VFs created, counts consistent."""

from __future__ import annotations

from sriovctl.checks.finding import Finding, Scope
from sriovctl.host.model import Host, PciDevice

DEV = "/sys/bus/pci/devices"


def sriov_candidates(host: Host) -> list[PciDevice]:
    """PFs, plus network functions whose config space has SR-IOV but no driver exposing it."""
    out = []
    for d in host.devices.values():
        if d.is_vf:
            continue
        if d.is_pf or (d.is_network and d.config is not None and d.config.sriov is not None):
            out.append(d)
    return out


def pf_name(host: Host, pf: PciDevice) -> str:
    return f"{pf.address} ({pf.netdevs[0]})" if pf.netdevs else pf.address


def check_pfs(host: Host, scope: Scope) -> list[Finding]:
    pfs = sriov_candidates(host)
    if not pfs:
        nets = [d for d in host.devices.values() if d.is_network]
        return [Finding(
            "nic.none", "error", "host",
            "no SR-IOV capable network device found" + (f" ({len(nets)} NICs without SR-IOV)"
                                                        if nets else ""),
            tuple(f"{DEV}/{d.address}: class {d.class_code}, {d.vendor_device}, no sriov_totalvfs"
                  for d in nets[:8]),
            "install an SR-IOV NIC (e.g. Intel I350/X710/E810, Mellanox ConnectX) and enable "
            "SR-IOV in the BIOS",
        )]
    out: list[Finding] = []
    for pf in pfs:
        if scope.wants_pf(pf.address):
            out.extend(check_pf(host, pf))
    return out


def check_pf(host: Host, pf: PciDevice) -> list[Finding]:
    base = f"{DEV}/{pf.address}"
    name = pf_name(host, pf)
    cap = pf.config.sriov if pf.config else None
    cap_ev = (f"{base}/config: SR-IOV capability TotalVFs = {cap.total_vfs}, "
              f"NumVFs = {cap.num_vfs}",) if cap else ()
    s = pf.sriov
    if s is None:
        return [Finding(
            "pf.no-driver", "error", pf.address,
            f"{name} has an SR-IOV capability but no driver exposes it (driver: {pf.driver})",
            (f"{base}/driver -> {pf.driver}", f"{base}/sriov_totalvfs: absent", *cap_ev),
            f"bind the vendor's PF driver: echo {pf.address} > /sys/bus/pci/drivers_probe",
        )]
    ev = (
        f"{base}/sriov_totalvfs = {s.totalvfs}",
        f"{base}/sriov_numvfs = {s.numvfs}",
        *cap_ev,
    )
    out: list[Finding] = []
    if s.totalvfs is None or s.numvfs is None:
        return [Finding("pf.unreadable", "error", pf.address,
                        f"{name}: sriov_totalvfs/sriov_numvfs could not be read", ev,
                        "run as root, or take the snapshot again with `sriovctl snapshot`")]
    if s.totalvfs == 0:
        out.append(Finding(
            "pf.totalvfs-zero", "error", pf.address,
            f"{name} can create no VFs (sriov_totalvfs = 0): SR-IOV is disabled in the BIOS or "
            "the NIC firmware", ev,
            "enable SR-IOV in the BIOS (and in the NIC firmware, e.g. mlxconfig SRIOV_EN=1 "
            "NUM_OF_VFS=N for ConnectX), then reboot",
        ))
        return out
    if s.numvfs > s.totalvfs:
        out.append(Finding("pf.numvfs-invalid", "error", pf.address,
                           f"{name}: sriov_numvfs {s.numvfs} exceeds sriov_totalvfs {s.totalvfs}",
                           ev, "take the snapshot again; the values are inconsistent"))
    elif s.numvfs == 0:
        out.append(Finding(
            "pf.no-vfs", "warning", pf.address,
            f"{name} has no VFs yet (up to {s.totalvfs} possible)", ev,
            f"sriovctl vfs set {pf.netdevs[0] if pf.netdevs else pf.address} {s.totalvfs} && "
            "sriovctl vfs persist   # or by hand: "
            f"echo {s.totalvfs} > {base}/sriov_numvfs, which does not survive a reboot",
        ))
    else:
        out.append(Finding("pf.vfs", "info", pf.address,
                           f"{name}: {s.numvfs} of {s.totalvfs} VFs created", ev))
    if s.numvfs and len(pf.virtfns) != s.numvfs:
        out.append(Finding(
            "pf.virtfn-mismatch", "warning", pf.address,
            f"{name}: sriov_numvfs = {s.numvfs} but {len(pf.virtfns)} virtfn links exist "
            "(VFs still being created, or a partial snapshot)",
            (*ev, f"{base}/virtfn*: {len(pf.virtfns)} links"),
            "wait for udev to settle (`udevadm settle`) and check again",
        ))
    if cap and cap.total_vfs and s.totalvfs < cap.total_vfs:
        out.append(Finding(
            "pf.totalvfs-capped", "info", pf.address,
            f"{name}: the driver offers {s.totalvfs} VFs, the hardware {cap.total_vfs} "
            "(the PF driver caps it; normal for igb)", ev,
        ))
    return out

"""Host-wide prerequisites from the guide: CPU virtualisation, IOMMU in firmware and kernel,
the kernel command line, and vfio-pci."""

from __future__ import annotations

from sriovctl.checks.finding import Finding, Scope
from sriovctl.host.model import Host

GROUPS = "/sys/kernel/iommu_groups"


def iommu_args(host: Host) -> str:
    """The kernel arguments the guide asks for, for this CPU/platform."""
    if host.cpu.arch == "aarch64":
        return "iommu.passthrough=on iommu=pt"
    if host.cpu.vendor == "AuthenticAMD" and not host.iommu.acpi["DMAR"].present:
        return "amd_iommu=on iommu=pt"
    return "intel_iommu=on iommu=pt"


def kernel_args_fix(args: str) -> str:
    return (
        f"add `{args}` to the kernel command line, then reboot:\n"
        f"  RHEL: grubby --update-kernel=ALL --args=\"{args}\"\n"
        f"  Debian/Ubuntu: add it to GRUB_CMDLINE_LINUX_DEFAULT in /etc/default/grub, "
        f"then `update-grub` (the guide: `grub2-mkconfig -o /boot/grub2/grub.cfg`)"
    )


def check_cpu(host: Host, scope: Scope) -> list[Finding]:
    cpu = host.cpu
    ev = (f"/proc/cpuinfo: vendor_id = {cpu.vendor}, vmx = {cpu.vmx}, svm = {cpu.svm}",)
    if cpu.arch == "aarch64":
        return [Finding("cpu.virtualization", "info", "host",
                        "ARM CPU: virtualisation extensions are not shown in cpuinfo flags", ev)]
    if cpu.vendor is None:
        return [Finding("cpu.virtualization", "warning", "host",
                        "cannot read /proc/cpuinfo: CPU virtualisation support unknown", ev,
                        "take the snapshot again with `sriovctl snapshot` as root")]
    if cpu.vmx or cpu.svm:
        kind = "VT-x (vmx)" if cpu.vmx else "AMD-V (svm)"
        return [Finding("cpu.virtualization", "info", "host", f"CPU supports {kind}", ev)]
    return [Finding(
        "cpu.virtualization", "error", "host",
        "CPU virtualisation (VT-x/AMD-V) is not visible: KVM guests cannot run here",
        ev, "enable Intel VT-x / AMD SVM in the BIOS (or expose vmx/svm to this VM)",
    )]


def check_iommu_firmware(host: Host, scope: Scope) -> list[Finding]:
    acpi = host.iommu.acpi
    present = [t for t, tab in acpi.items() if tab.present]
    ev = tuple(
        f"/sys/firmware/acpi/tables/{t}: " + (f"{tab.size} bytes" if tab.present else "absent")
        for t, tab in acpi.items()
    )
    if present:
        return [Finding("iommu.firmware", "info", "host",
                        f"firmware describes an IOMMU ({', '.join(present)} table)", ev)]
    if host.iommu.active:
        return [Finding("iommu.firmware", "info", "host",
                        "no DMAR/IVRS/IORT table, but the kernel has IOMMU groups", ev)]
    return [Finding(
        "iommu.firmware", "error", "host",
        "the firmware describes no IOMMU (no DMAR, IVRS or IORT ACPI table)", ev,
        "enable VT-d (Intel) / AMD-Vi or IOMMU (AMD) / SMMU (ARM) and SR-IOV in the BIOS",
    )]


def check_iommu_kernel(host: Host, scope: Scope) -> list[Finding]:
    io = host.iommu
    ev = (
        f"{GROUPS}: {len(io.groups)} groups",
        f"/sys/class/iommu: {' '.join(io.units) or '(empty)'}",
        f"/proc/cmdline: {' '.join(io.cmdline.raw) or '(no IOMMU arguments)'}",
    )
    if io.active:
        return [Finding("iommu.kernel", "info", "host",
                        f"the kernel IOMMU is active: {len(io.groups)} IOMMU groups", ev)]
    reason = "the kernel IOMMU is off: no IOMMU groups, so no device can be assigned to a guest"
    if io.cmdline.disabled:
        reason += f" (disabled on the command line: {' '.join(io.cmdline.raw)})"
    return [Finding("iommu.kernel", "error", "host", reason, ev, kernel_args_fix(iommu_args(host)))]


def check_cmdline(host: Host, scope: Scope) -> list[Finding]:
    c = host.iommu.cmdline
    ev = (f"/proc/cmdline = {host.cmdline}",) if host.cmdline is not None else ()
    out: list[Finding] = []
    if c.intel is False or c.iommu == "off" or c.amd_off:
        out.append(Finding(
            "iommu.cmdline-off", "error", "host",
            f"the kernel command line turns the IOMMU off: {' '.join(c.raw)}", ev,
            "remove it and " + kernel_args_fix(iommu_args(host)),
        ))
    elif (
        host.cpu.vendor == "GenuineIntel" or host.iommu.acpi["DMAR"].present
    ) and c.intel is None and host.iommu.active:
        # When the IOMMU is off, iommu.kernel already says so and carries this fix.
        out.append(Finding(
            "iommu.cmdline-intel", "info", "host",
            "intel_iommu=on is not on the kernel command line (the IOMMU is on by the "
            "kernel's build default; set it explicitly so a kernel update cannot turn it off)",
            ev, kernel_args_fix("intel_iommu=on iommu=pt"),
        ))
    if not c.passthrough and not c.disabled:
        out.append(Finding(
            "iommu.passthrough", "info", "host",
            "iommu=pt is not set: host-owned devices also go through IOMMU translation; "
            "the guide sets it for host I/O performance (guests are unaffected)",
            ev, kernel_args_fix("iommu=pt"),
        ))
    return out


def check_vfio(host: Host, scope: Scope) -> list[Finding]:
    if host.iommu.vfio_pci_available:
        return []
    return [Finding(
        "vfio.module", "info", "host",
        "vfio-pci is not loaded; libvirt loads it when nova attaches a VF (managed='yes')",
        ("/sys/bus/pci/drivers/vfio-pci: absent", "/proc/modules: no vfio_pci"),
        "modprobe vfio-pci   # optional; to load it at boot: echo vfio-pci > "
        "/etc/modules-load.d/vfio-pci.conf",
    )]

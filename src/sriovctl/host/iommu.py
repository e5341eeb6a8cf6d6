"""Read IOMMU state: groups and their members, IOMMU units, ACPI tables, vfio availability."""

from __future__ import annotations

from sriovctl.host.kernel import parse_iommu_args
from sriovctl.host.model import AcpiTable, Iommu
from sriovctl.host.root import Root

GROUPS = "/sys/kernel/iommu_groups"
ACPI_TABLES = ("DMAR", "IVRS", "IORT")  # Intel VT-d, AMD-Vi, ARM SMMU


def read_iommu(root: Root, cmdline: str | None) -> Iommu:
    groups: dict[int, tuple[str, ...]] = {}
    for name in root.listdir(GROUPS):
        if name.isdigit():
            groups[int(name)] = tuple(root.listdir(f"{GROUPS}/{name}/devices"))
    acpi = {}
    for table in ACPI_TABLES:
        size = root.size(f"/sys/firmware/acpi/tables/{table}")
        acpi[table] = AcpiTable(table, size is not None, size)
    return Iommu(
        groups=dict(sorted(groups.items())),
        units=tuple(root.listdir("/sys/class/iommu")),
        acpi=acpi,
        cmdline=parse_iommu_args(cmdline),
        vfio_pci_available=_vfio_pci_available(root),
        vfio_dev_nodes=tuple(root.listdir("/sys/class/vfio")),
    )


def _vfio_pci_available(root: Root) -> bool:
    if root.exists("/sys/bus/pci/drivers/vfio-pci") or root.exists("/sys/module/vfio_pci"):
        return True
    modules = root.read_text("/proc/modules") or ""
    return any(line.split(" ", 1)[0] == "vfio_pci" for line in modules.splitlines())

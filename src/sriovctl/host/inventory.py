"""The host as a JSON-ready inventory: the shape `inspect -f json` prints and fleets merge.

Documented in the README ("Inventory JSON"); change it only with a version bump.
"""

from __future__ import annotations

from sriovctl.host.model import Host, PciDevice

SCHEMA = "sriovctl.inventory/1"


def vf_entry(host: Host, vf: PciDevice) -> dict:
    s = host.vf_settings_for(vf)
    net = host.netdevs.get(vf.netdevs[0]) if vf.netdevs else None
    return {
        "index": host.vf_index(vf),
        "address": vf.address,
        "vendor_device": vf.vendor_device,
        "netdev": vf.netdevs[0] if vf.netdevs else None,
        "driver": vf.driver,
        "driver_override": vf.driver_override,
        "mac": s.mac if s else (net.mac if net else None),
        "vlan": s.vlan if s else None,
        "qos": s.qos if s else None,
        "spoofchk": s.spoofchk if s else None,
        "trust": s.trust if s else None,
        "link_state": s.link_state if s else None,
        "max_tx_rate": s.max_tx_rate if s else None,
        "min_tx_rate": s.min_tx_rate if s else None,
        "numa_node": vf.numa_node,
        "iommu_group": vf.iommu_group,
        "iommu_group_members": list(host.group_members(vf)),
    }


def upstream_entry(port: PciDevice) -> dict:
    acs = port.acs
    return {
        "address": port.address,
        "vendor_device": port.vendor_device,
        "pcie_type": port.pcie_type,
        "driver": port.driver,
        "acs": acs.to_dict() if acs else None,
    }


def pf_entry(host: Host, pf: PciDevice) -> dict:
    name = pf.netdevs[0] if pf.netdevs else None
    net = host.netdevs.get(name) if name else None
    s = pf.sriov
    cap = pf.config.sriov if pf.config else None
    return {
        "address": pf.address,
        "netdev": name,
        "vendor_device": pf.vendor_device,
        "subsystem": f"{pf.subsystem_vendor_id}:{pf.subsystem_device_id}",
        "driver": pf.driver,
        "numa_node": pf.numa_node,
        "iommu_group": pf.iommu_group,
        "iommu_group_members": list(host.group_members(pf)),
        "pcie_type": pf.pcie_type,
        "link": {
            "mac": net.mac if net else None,
            "mtu": net.mtu if net else None,
            "operstate": net.operstate if net else None,
            "speed": net.speed if net else None,
            "default_route": net.default_route if net else False,
        },
        "sriov": {
            "totalvfs": s.totalvfs if s else None,
            "numvfs": s.numvfs if s else None,
            "offset": s.offset if s else None,
            "stride": s.stride if s else None,
            "vf_device": s.vf_device if s else None,
            "drivers_autoprobe": s.drivers_autoprobe if s else None,
            "capability": cap.to_dict() if cap else None,
        },
        "ari": pf.config.ari if pf.config else None,
        "upstream": [upstream_entry(p) for p in host.upstream_path(pf)],
        "vfs": [vf_entry(host, vf) for vf in host.vfs_of(pf)],
    }


def device_entry(dev: PciDevice) -> dict:
    return {
        "address": dev.address,
        "vendor_id": dev.vendor_id,
        "product_id": dev.device_id,
        "class": dev.class_code,
        "driver": dev.driver,
        "numa_node": dev.numa_node,
        "iommu_group": dev.iommu_group,
        "dev_type": "type-VF" if dev.is_vf else ("type-PF" if dev.is_pf else "type-PCI"),
        "parent_addr": dev.physfn,
        "netdev": dev.netdevs[0] if dev.netdevs else None,
        "parent_bridge": dev.parent,
    }


def to_inventory(host: Host) -> dict:
    io = host.iommu
    return {
        "schema": SCHEMA,
        "host": {
            "source": host.label,
            "live": host.live,
            "hostname": host.hostname,
            "kernel": host.kernel_release,
            "cmdline": host.cmdline,
            "cpu": {"vendor": host.cpu.vendor, "model": host.cpu.model_name,
                    "vmx": host.cpu.vmx, "svm": host.cpu.svm, "arch": host.cpu.arch},
        },
        "iommu": {
            "active": io.active,
            "group_count": len(io.groups),
            "units": list(io.units),
            "acpi": {t: {"present": a.present, "size": a.size} for t, a in io.acpi.items()},
            "cmdline": io.cmdline.to_dict(),
            "vfio_pci_available": io.vfio_pci_available,
            "groups": {str(g): list(m) for g, m in io.groups.items()},
        },
        "vf_settings_source": host.vf_settings_source,
        "pfs": [pf_entry(host, pf) for pf in sorted(host.pfs(), key=lambda d: d.address)],
        "netdevs": [
            {"name": n.name, "mac": n.mac, "mtu": n.mtu, "operstate": n.operstate,
             "speed": n.speed, "pci_address": n.pci_address, "default_route": n.default_route}
            for n in sorted(host.netdevs.values(), key=lambda n: n.name)
        ],
        "devices": [device_entry(host.devices[a]) for a in sorted(host.devices)],
    }

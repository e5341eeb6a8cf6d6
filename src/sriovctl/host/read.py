"""Assemble the Host model from a root. The one entry point every command uses."""

from __future__ import annotations

import os
import platform

from sriovctl.host.archive import open_root
from sriovctl.host.iommu import read_iommu
from sriovctl.host.kernel import cpu_flags
from sriovctl.host.model import Cpu, Host
from sriovctl.host.net import read_netdevs
from sriovctl.host.netlink import read_links, vf_settings_from_links
from sriovctl.host.pci import read_pci_devices
from sriovctl.host.root import Root


def load_host(root_spec: str = "/") -> Host:
    """Host from "/" (live), a snapshot directory or a snapshot tarball."""
    return read_host(open_root(root_spec))


def read_host(root: Root) -> Host:
    cmdline = root.read_text("/proc/cmdline")
    vendor, model, flags = cpu_flags(root.read_text("/proc/cpuinfo") or "")
    version = root.read_text("/proc/version") or ""
    release = version.split()[2] if version.startswith("Linux version ") else None
    links, source = read_links(root)
    hostname = root.read_text("/proc/sys/kernel/hostname")
    if root.is_live and not hostname:
        hostname = os.uname().nodename
    return Host(
        label=root.label,
        live=root.is_live,
        hostname=hostname,
        kernel_release=release,
        cmdline=cmdline,
        cpu=Cpu(
            vendor=vendor,
            model_name=model,
            vmx="vmx" in flags,
            svm="svm" in flags,
            arch=_arch(flags) if flags else (platform.machine() if root.is_live else None),
        ),
        iommu=read_iommu(root, cmdline),
        devices=read_pci_devices(root),
        netdevs=read_netdevs(root),
        vf_settings=vf_settings_from_links(links) if links else {},
        vf_settings_source=source,
        problems=tuple(root.problems),
    )


def _arch(flags: set[str]) -> str:
    if "lm" in flags or "vmx" in flags or "svm" in flags or "sse2" in flags:
        return "x86_64"
    if "asimd" in flags or "fp" in flags:
        return "aarch64"
    return "unknown"

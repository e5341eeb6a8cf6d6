"""Decode PCI configuration space: the capability lists and the few capabilities SR-IOV needs.

Layouts from the PCI Express Base Specification (as implemented in Linux's
include/uapi/linux/pci_regs.h). Everything is bounds-checked: a truncated file (only 64 or
256 bytes are readable without root) simply yields fewer capabilities, and loops are bounded
because a corrupt list can point back at itself.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

CAP_ID_PCIE = 0x10
EXT_CAP_ACS = 0x000D
EXT_CAP_ARI = 0x000E
EXT_CAP_SRIOV = 0x0010

PCIE_PORT_TYPES = {
    0x0: "Endpoint",
    0x1: "Legacy Endpoint",
    0x4: "Root Port",
    0x5: "Upstream Port",
    0x6: "Downstream Port",
    0x7: "PCI-PCIe Bridge",
    0x8: "PCIe-PCI Bridge",
    0x9: "Root Complex Integrated Endpoint",
    0xA: "Root Complex Event Collector",
}

# ACS capability/control bits, in lspci's order and with its names.
ACS_BITS = (
    ("SV", "SrcValid", 0x01),
    ("TB", "TransBlk", 0x02),
    ("RR", "ReqRedir", 0x04),
    ("CR", "CmpltRedir", 0x08),
    ("UF", "UpstreamFwd", 0x10),
    ("EC", "EgressCtrl", 0x20),
    ("DT", "DirectTrans", 0x40),
)
# What Linux requires for isolation (drivers/pci/pci.c, REQ_ACS_FLAGS).
ACS_REQUIRED = 0x01 | 0x04 | 0x08 | 0x10


@dataclass(frozen=True)
class Acs:
    offset: int
    capability: int
    control: int

    def flags(self, value: int) -> dict[str, bool]:
        return {short: bool(value & bit) for short, _, bit in ACS_BITS}

    def describe(self, value: int) -> str:
        return " ".join(f"{name}{'+' if value & bit else '-'}" for _, name, bit in ACS_BITS)

    @property
    def isolating(self) -> bool:
        """True when the kernel would consider this port's ACS enough for isolation.

        As in pci_acs_flags_enabled(): features missing from the capability register are
        treated as hard-wired on, so only controllable required bits must be enabled.
        """
        needed = ACS_REQUIRED & self.capability
        return (self.control & needed) == needed

    @property
    def missing(self) -> list[str]:
        needed = ACS_REQUIRED & self.capability
        return [short for short, _, bit in ACS_BITS if needed & bit and not self.control & bit]

    def to_dict(self) -> dict:
        return {
            "offset": f"0x{self.offset:03x}",
            "capability": self.flags(self.capability),
            "control": self.flags(self.control),
            "isolating": self.isolating,
        }


@dataclass(frozen=True)
class SriovCap:
    offset: int
    control: int
    initial_vfs: int
    total_vfs: int
    num_vfs: int
    vf_offset: int
    vf_stride: int
    vf_device_id: int

    @property
    def vf_enabled(self) -> bool:
        return bool(self.control & 0x1)

    @property
    def ari_capable_hierarchy(self) -> bool:
        return bool(self.control & 0x10)

    def to_dict(self) -> dict:
        return {
            "offset": f"0x{self.offset:03x}",
            "control": f"0x{self.control:04x}",
            "vf_enable": self.vf_enabled,
            "initial_vfs": self.initial_vfs,
            "total_vfs": self.total_vfs,
            "num_vfs": self.num_vfs,
            "vf_offset": self.vf_offset,
            "vf_stride": self.vf_stride,
            "vf_device_id": f"{self.vf_device_id:04x}",
        }


@dataclass(frozen=True)
class ConfigSpace:
    """What was decoded from one device's `config` file."""

    size: int
    capabilities: tuple[int, ...] = ()  # standard capability ids, in list order
    extended: tuple[int, ...] = ()  # extended capability ids, in list order
    pcie_type: str | None = None
    acs: Acs | None = None
    sriov: SriovCap | None = None
    ari: bool = False
    problem: str | None = None

    @property
    def extended_readable(self) -> bool:
        return self.size >= 4096

    def to_dict(self) -> dict:
        return {
            "size": self.size,
            "capabilities": [f"0x{c:02x}" for c in self.capabilities],
            "extended_capabilities": [f"0x{c:04x}" for c in self.extended],
            "pcie_type": self.pcie_type,
            "acs": self.acs.to_dict() if self.acs else None,
            "sriov": self.sriov.to_dict() if self.sriov else None,
            "ari": self.ari,
            "problem": self.problem,
        }


def _u16(data: bytes, off: int) -> int | None:
    return struct.unpack_from("<H", data, off)[0] if off + 2 <= len(data) else None


def _u32(data: bytes, off: int) -> int | None:
    return struct.unpack_from("<I", data, off)[0] if off + 4 <= len(data) else None


def decode(data: bytes) -> ConfigSpace:
    if len(data) < 64:
        return ConfigSpace(size=len(data), problem=f"config space has {len(data)} bytes (< 64)")
    std, pcie_type, problem = _walk_standard(data)
    ext: list[int] = []
    acs = sriov = None
    ari = False
    if len(data) >= 4096 and pcie_type is not None:
        for cap_id, off in _walk_extended(data):
            ext.append(cap_id)
            if cap_id == EXT_CAP_ACS:
                acs = Acs(off, _u16(data, off + 4) or 0, _u16(data, off + 6) or 0)
            elif cap_id == EXT_CAP_ARI:
                ari = True
            elif cap_id == EXT_CAP_SRIOV:
                sriov = _sriov(data, off)
    return ConfigSpace(len(data), tuple(std), tuple(ext), pcie_type, acs, sriov, ari, problem)


def _walk_standard(data: bytes) -> tuple[list[int], str | None, str | None]:
    status = _u16(data, 0x06) or 0
    if not status & 0x10:  # no capability list
        return [], None, None
    caps: list[int] = []
    pcie_type = None
    ptr = data[0x34] & 0xFC
    seen: set[int] = set()
    while ptr and ptr >= 0x40 and ptr + 2 <= len(data):
        if ptr in seen or len(seen) > 48:
            return caps, pcie_type, "capability list loops"
        seen.add(ptr)
        cap_id, nxt = data[ptr], data[ptr + 1]
        caps.append(cap_id)
        if cap_id == CAP_ID_PCIE:
            flags = _u16(data, ptr + 2)
            if flags is not None:
                pcie_type = PCIE_PORT_TYPES.get((flags >> 4) & 0xF, f"type {(flags >> 4) & 0xF}")
        ptr = nxt & 0xFC
    return caps, pcie_type, None


def _walk_extended(data: bytes):
    off = 0x100
    seen: set[int] = set()
    while off and off >= 0x100 and off + 4 <= len(data) and off not in seen and len(seen) < 960:
        seen.add(off)
        header = _u32(data, off) or 0
        if header in (0, 0xFFFFFFFF):
            return
        yield header & 0xFFFF, off
        off = (header >> 20) & 0xFFC


def _sriov(data: bytes, off: int) -> SriovCap | None:
    if off + 0x1C > len(data):
        return None
    return SriovCap(
        offset=off,
        control=_u16(data, off + 0x08) or 0,
        initial_vfs=_u16(data, off + 0x0C) or 0,
        total_vfs=_u16(data, off + 0x0E) or 0,
        num_vfs=_u16(data, off + 0x10) or 0,
        vf_offset=_u16(data, off + 0x14) or 0,
        vf_stride=_u16(data, off + 0x16) or 0,
        vf_device_id=_u16(data, off + 0x1A) or 0,
    )

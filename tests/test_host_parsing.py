"""Kernel command line by meaning, config space decoding, addresses."""

from __future__ import annotations

import pytest

from sriovctl.host.config_space import decode
from sriovctl.host.kernel import parse_iommu_args
from sriovctl.host.model import normalize_address

from hostbuilder import config_space


@pytest.mark.parametrize("cmdline, intel, disabled, passthrough", [
    ("intel_iommu=on iommu=pt", True, False, True),
    ("intel_iommu=on,sm_on", True, False, None),
    ("intel_iommu=sm_on", None, False, None),  # scalable mode alone does not enable it
    ("intel_iommu=off", False, True, None),  # contains "on"-ish letters, still off
    ("intel_iommu=on intel_iommu=off", False, True, None),  # the last one wins
    ("intel_iommu=off intel_iommu=on", True, False, None),
    ("iommu=off", None, True, None),
    ("amd_iommu=off iommu=pt", None, True, True),
    ("iommu.passthrough=1", None, False, True),
    ("iommu.passthrough=off", None, False, False),
    ('quiet "intel_iommu=on" iommu=nopt', True, False, False),
    ("nointel_iommu=on", None, False, None),  # another parameter entirely
    ("", None, False, None),
])
def test_cmdline_by_meaning(cmdline, intel, disabled, passthrough):
    c = parse_iommu_args(cmdline)
    assert (c.intel, c.disabled, c.passthrough) == (intel, disabled, passthrough)


def test_config_space_decodes_root_port_acs_and_pf_sriov():
    port = decode(config_space(0x8086, 0x2030, 0x060400, 0x4, acs=(0x5F, 0x1D), header_type=1))
    assert port.pcie_type == "Root Port" and port.acs.isolating
    assert port.acs.describe(port.acs.control).startswith("SrcValid+ TransBlk- ReqRedir+")
    half = decode(config_space(0x8086, 0x2030, 0x060400, 0x4, acs=(0x5F, 0x11), header_type=1))
    assert not half.acs.isolating and half.acs.missing == ["RR", "CR"]
    pf = decode(config_space(0x8086, 0x10C9, 0x020000, 0, ari=True, sriov={
        "total": 8, "num": 7, "offset": 128, "stride": 2, "vf_device": 0x10CA}))
    assert pf.ari and pf.sriov.total_vfs == 8 and pf.sriov.num_vfs == 7 and pf.sriov.vf_enabled


def test_config_space_truncated_or_looping_is_safe():
    full = config_space(0x8086, 0x10C9, 0x020000, 0, sriov={
        "total": 8, "num": 0, "offset": 128, "stride": 2, "vf_device": 0x10CA})
    assert decode(full[:64]).sriov is None  # non-root read: 64 bytes, no extended space
    assert decode(full[:10]).problem
    loop = bytearray(full)
    loop[0x41] = 0x40  # capability points at itself
    assert decode(bytes(loop)).problem == "capability list loops"
    ext_loop = bytearray(full)
    ext_loop[0x102:0x104] = (0x100 << 4).to_bytes(2, "little")
    decode(bytes(ext_loop))  # must terminate


@pytest.mark.parametrize("text, want", [
    ("31:12.1", "0000:31:12.1"), ("0000:31:12.1", "0000:31:12.1"), ("0000:3B:00.0",
                                                                   "0000:3b:00.0"),
    ("31:12", None), ("0000:31:20.1", None), ("zz:00.0", None), ("0000:31:12.8", None),
])
def test_normalize_address(text, want):
    assert normalize_address(text) == want

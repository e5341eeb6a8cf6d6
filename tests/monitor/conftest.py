"""Fixtures of the monitor tests (helpers live in vfdumps.py: tests must not import
from conftest)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# vfdumps importable by the tests under either import mode (prepend or importlib)
sys.path.insert(0, str(Path(__file__).parent))

from vfdumps import VF_PCI, netdev_link, pf_link, pf_root, vf_info, write_links  # noqa: E402


@pytest.fixture
def igb(tmp_path):
    """The lab's situation: igb reports all-zero VF stats; VF 0 and 1 have host netdevs."""
    root = pf_root(tmp_path / "root", num=3)
    write_links(root, [
        pf_link([vf_info(0, mac="52:a8:23:12:a1:2d"), vf_info(1, vlan=1000, trust=True),
                 vf_info(2, spoofchk=False)]),
        netdev_link("enp1s0v0", VF_PCI[0], rx_packets=51, tx_packets=59, rx_bytes=3086,
                    tx_bytes=3726, rx_dropped=50, multicast=1),
        netdev_link("enp1s0v1", VF_PCI[1]),
        netdev_link("tap0", None, rx_packets=9),
    ])
    return root

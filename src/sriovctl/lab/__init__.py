"""The SR-IOV lab: a real Linux kernel driving QEMU's emulated igb (82576) SR-IOV NIC.

deps (host tools) -> image (cached guest) -> topology (QEMU devices) -> runner (boot, run,
power off) -> demo. Everything heavy is imported by the command that needs it.
"""

from __future__ import annotations

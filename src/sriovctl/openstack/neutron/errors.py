"""Errors raised by the neutron re-implementation, named after neutron's own.

Every class is an :class:`~sriovctl.errors.InputError` (sriovctl exits 2 and prints
the fix) *and* a :class:`ValueError`, because neutron raises ``ValueError`` for a bad
option and code written against neutron catches that. ``message`` is neutron's own
wording, so an operator can grep neutron's log for it; ``fix`` is ours.

``neutron_name`` says which exception neutron raises for the same input, including
the cases where neutron does not raise but stops the process (``SystemExit``).
"""

from __future__ import annotations

from sriovctl.errors import InputError


class NeutronError(InputError, ValueError):
    """A value neutron rejects; ``message`` is neutron's wording."""

    neutron_name = "ValueError"

    def __str__(self) -> str:
        return self.message


class NetworkVlanRangeError(NeutronError):
    """neutron-lib ``NetworkVlanRangeError`` (bad ``network_vlan_ranges`` entry)."""

    neutron_name = "NetworkVlanRangeError"


class PhysicalNetworkNameError(NeutronError):
    """neutron-lib ``PhysicalNetworkNameError`` (``:1:10`` has no physnet)."""

    neutron_name = "PhysicalNetworkNameError"


class ServiceTerminated(NeutronError):
    """The service would log the message and exit with status 1 (``SystemExit``)."""

    neutron_name = "SystemExit"


class SriovUnsupportedNetworkType(NeutronError):
    """The mechanism driver cannot compute vif_details for this network type."""

    neutron_name = "SriovUnsupportedNetworkType"


class InvalidDeviceError(NeutronError):
    """The agent's ``InvalidDeviceError``: a mapped PF has no ``device`` directory."""

    neutron_name = "InvalidDeviceError"


class InvalidPciSlotError(NeutronError):
    """The agent's ``InvalidPciSlotError``: the PCI slot is not a managed VF."""

    neutron_name = "InvalidPciSlotError"

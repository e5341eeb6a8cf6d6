"""The SR-IOV agent's QoS driver (``[agent] extensions = qos``): which call a rule makes.

Only two rule types exist for SR-IOV: ``bandwidth_limit`` (egress only; the burst is
ignored) becomes the VF's ``max_tx_rate``, ``minimum_bandwidth`` (egress) its
``min_tx_rate``; both are rounded to Mbps by the ESwitch layer. Deleting a rule of a
port that still has a ``device_owner`` sets the rate to 0 on the port's VF; of a
released port it clears the rate by PCI slot. Calls are returned as tuples named after
the ESwitchManager methods neutron calls.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Optional

from sriovctl.openstack.neutron.errors import NeutronError

#: ``{rule type: allowed directions}`` of the sriovnicswitch QoS driver.
SUPPORTED_RULES = MappingProxyType(
    {"bandwidth_limit": ("egress",), "minimum_bandwidth": ("egress", "ingress")}
)
_RATE = MappingProxyType(
    {"bandwidth_limit": ("max", "max_kbps"), "minimum_bandwidth": ("min_tx", "min_kbps")}
)

#: ``("set_device_max_rate", mac, pci_slot, kbps)`` or ``("clear_min_tx_rate", pci_slot)``...
QosCall = tuple


def qos_call(
    op: str, rule: Mapping[str, Any], port: Mapping[str, Any], *, device_exists: bool = True
) -> Optional[QosCall]:
    """The ESwitchManager call for ``op`` (create/update/delete) of ``rule`` on ``port``.

    ``port`` carries ``device`` (the MAC), ``profile.pci_slot`` and, while in use,
    ``device_owner``. ``device_exists`` is the agent's (MAC, PCI) check; when false
    nothing is called (neutron logs "No device with MAC ... defined on agent").
    """
    rule_type = rule.get("type")
    if rule_type not in SUPPORTED_RULES:
        raise NeutronError(
            f"Rule type {rule_type} is not supported by the SR-IOV QoS driver",
            fix="SR-IOV supports bandwidth_limit (egress) and minimum_bandwidth",
        )
    name, key = _RATE[rule_type]
    pci_slot = (port.get("profile") or {}).get("pci_slot")
    mac = port.get("device")
    if op in ("create", "update"):
        kbps = rule.get(key, 0)
    elif op == "delete":
        if rule_type == "minimum_bandwidth" and rule.get("direction") == "ingress":
            return None  # placement-only rule: nothing on the VF to undo
        if port.get("device_owner") is None:
            return (f"clear_{name}_rate", pci_slot)
        kbps = 0
    else:
        raise NeutronError(f"Unknown QoS operation {op}", fix="use create, update or delete")
    if not device_exists:
        return None
    return (f"set_device_{name}_rate", mac, pci_slot, kbps)

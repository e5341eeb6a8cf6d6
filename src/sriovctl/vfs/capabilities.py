"""What each PF driver lets you set on its VFs, so a refusal happens before any write.

The kernel applies the attributes of one RTM_SETLINK in order and stops at the first the
driver refuses, leaving the earlier ones applied. Checking against this table first means
an unsupported setting never leaves a VF half-programmed.

Where each fact comes from:
  igb        measured in the lab (82576, Linux 6.1 and 6.12): link state -> EOPNOTSUPP,
             min_tx_rate -> EINVAL, max_tx_rate -> EINVAL while the PF link is down;
             vlan proto other than 802.1Q -> EPROTONOSUPPORT (igb_ndo_set_vf_vlan).
             An all-zero MAC is *accepted* by 6.1 ("remove administratively set MAC on
             VF 0"); old kernels refused it (is_valid_ether_addr), which is why VDSM gives
             igb/ixgbe VFs a placeholder MAC. Hosts on such kernels: zero_mac=False.
  ixgbe      driver source: no min_tx_rate (EINVAL), 802.1Q only; zero MAC removes the
             administrative MAC on current kernels, as on igb.
  i40e, ice  driver source: i40e has no min_tx_rate; ice has it; both 802.1Q only unless
             ice runs double-VLAN mode (not assumed).
  mlx5_core  driver source: everything, including 802.1ad and min_tx_rate.
Unknown drivers get no pre-check: the kernel decides, and the step's undo cleans up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

ZERO_MAC = "00:00:00:00:00:00"


@dataclass(frozen=True)
class DriverCaps:
    driver: str
    vf_driver: Optional[str]  # the VF's default (netdev) driver
    link_state: bool = True
    min_tx_rate: bool = True
    max_tx_rate: bool = True
    rate_needs_link_up: bool = False
    trust: bool = True
    spoofchk: bool = True
    vlan_8021ad: bool = False
    zero_mac: bool = True  # accepts 00:00:00:00:00:00 (removes the administrative MAC)
    known: bool = True


TABLE = {
    c.driver: c
    for c in (
        DriverCaps("igb", "igbvf", link_state=False, min_tx_rate=False,
                   rate_needs_link_up=True),
        DriverCaps("ixgbe", "ixgbevf", min_tx_rate=False),
        DriverCaps("i40e", "iavf", min_tx_rate=False),
        DriverCaps("ice", "iavf"),
        DriverCaps("mlx5_core", "mlx5_core", vlan_8021ad=True),
        DriverCaps("bnxt_en", "bnxt_en"),
        DriverCaps("qede", "qede", min_tx_rate=False),
    )
}


def caps_for(driver: Optional[str]) -> DriverCaps:
    if driver and driver in TABLE:
        return TABLE[driver]
    return DriverCaps(driver or "unknown", None, vlan_8021ad=True, known=False)


def refusals(caps: DriverCaps, settings: dict, pf_link_up: Optional[bool]) -> list[str]:
    """Why the driver would refuse these settings (empty: nothing known against them)."""
    if not caps.known:
        return []
    out = []
    d = caps.driver
    if settings.get("link_state") is not None and not caps.link_state:
        out.append(f"{d} cannot set a VF's link state (the kernel answers EOPNOTSUPP)")
    if settings.get("min_tx_rate") and not caps.min_tx_rate:
        out.append(f"{d} has no minimum TX rate; only min_tx_rate 0 is accepted")
    if settings.get("max_tx_rate") and not caps.max_tx_rate:
        out.append(f"{d} cannot limit a VF's TX rate")
    if settings.get("max_tx_rate") and caps.rate_needs_link_up and pf_link_up is False:
        out.append(f"{d} accepts max_tx_rate only while the PF link is up "
                   "(bring the PF up first: the rate is derived from the link speed)")
    if settings.get("trust") is not None and not caps.trust:
        out.append(f"{d} has no VF trust setting")
    if settings.get("spoofchk") is not None and not caps.spoofchk:
        out.append(f"{d} has no VF spoof checking setting")
    if (settings.get("vlan") and settings.get("vlan_proto") == "802.1ad"
            and not caps.vlan_8021ad):
        out.append(f"{d} only tags VFs with 802.1Q, not 802.1ad (EPROTONOSUPPORT)")
    if settings.get("mac") == ZERO_MAC and not caps.zero_mac:
        out.append(f"{d} refuses an all-zero VF MAC; set a real unicast MAC instead")
    return out

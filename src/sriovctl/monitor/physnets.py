"""PF netdev -> physnet, from the SR-IOV agent's physical_device_mappings.

Read with the agent's own parser (sriovctl.openstack), so a mapping the agent would refuse
is refused here too, with the same words and the file:line.
"""

from __future__ import annotations

from sriovctl.errors import InputError


def physnets_from_agent_config(path: str) -> dict[str, str]:
    from sriovctl.openstack.config import read_config
    from sriovctl.openstack.neutron.config_views import sriov_agent_view

    setting = sriov_agent_view(read_config([path])).physical_device_mappings
    if setting.error is not None:
        raise setting.error
    mappings = setting.value
    if not isinstance(mappings, dict):
        raise InputError(f"{path}: [sriov_nic] physical_device_mappings did not parse",
                         fix="write physnet:pf_netdev[,physnet:pf_netdev...]")
    found: dict[str, str] = {}
    # physnet -> [netdevs]; a PF belongs to one physnet (the agent refuses anything else)
    for physnet, netdevs in mappings.items():
        for netdev in netdevs:
            found[netdev] = physnet
    return found

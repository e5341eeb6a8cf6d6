"""The configuration files of the test stack (see realneutron for what the stack is).

One server configuration for the whole matrix, plus two overlays: ``policy.yaml`` (admin
may write binding:profile, so the SDK's noauth requests can bind as nova does) and
``prohibit.ini`` (read only by the second API server, for the prohibit-list axis).
"""

from __future__ import annotations

import shutil

from realneutron import (
    AGENT_HOST,
    MAPPED_PHYSNET,
    PROHIBITED,
    UNMAPPED_PHYSNET,
    VENV,
    VLAN_RANGES,
    agent_device,
)


def write_configs(stack) -> None:
    """neutron.conf, ml2_conf.ini, the agent's files, the policy and prohibit-list overlays."""
    etc = stack.root / "etc"
    for sub in ("etc", "log", "state", "lock", "rabbit"):
        (stack.root / sub).mkdir(parents=True, exist_ok=True)
    shutil.copy(VENV / "etc" / "neutron" / "api-paste.ini", etc / "api-paste.ini")
    ranges = ",".join(f"{p}:{lo}:{hi}" for p, (lo, hi) in VLAN_RANGES.items())
    common = (
        "[DEFAULT]\n"
        f"transport_url = {stack.transport_url}\n"
        f"state_path = {stack.root / 'state'}\n"
        "[oslo_concurrency]\n"
        f"lock_path = {stack.root / 'lock'}\n"
    )
    (etc / "neutron.conf").write_text(
        "[DEFAULT]\n"
        "core_plugin = ml2\n"
        # segments: subnets on segments (routed networks) are one axis of the matrix
        "service_plugins = segments\n"
        "auth_strategy = noauth\n"
        "bind_host = 127.0.0.1\n"
        f"transport_url = {stack.transport_url}\n"
        f"api_paste_config = {etc / 'api-paste.ini'}\n"
        f"state_path = {stack.root / 'state'}\n"
        "api_workers = 1\n"
        "rpc_workers = 1\n"
        "rpc_state_report_workers = 0\n"
        "notify_nova_on_port_status_changes = false\n"
        "notify_nova_on_port_data_changes = false\n"
        "[oslo_policy]\n"
        f"policy_file = {etc / 'policy.yaml'}\n"
        "[database]\n"
        f"connection = sqlite:///{stack.db_path}?timeout=30\n"
        "[oslo_concurrency]\n"
        f"lock_path = {stack.root / 'lock'}\n"
    )
    (etc / "ml2_conf.ini").write_text(
        "[ml2]\n"
        "type_drivers = flat,vlan,vxlan\n"
        "tenant_network_types =\n"
        "mechanism_drivers = sriovnicswitch\n"
        "extension_drivers = port_security\n"
        "[ml2_type_vlan]\n"
        f"network_vlan_ranges = {ranges}\n"
        "[ml2_type_flat]\n"
        f"flat_networks = {MAPPED_PHYSNET},{UNMAPPED_PHYSNET}\n"
        "[ml2_type_vxlan]\n"
        "vni_ranges = 1:1000\n"
    )
    # neutron's default gives binding:profile to the `service` role (nova) only; the
    # SDK's noauth requests are admin, so admin gets it too here. The differential test
    # sends nova's roles itself and does not need this.
    (etc / "policy.yaml").write_text(
        '"create_port:binding:profile": "rule:admin_only or rule:service_api"\n'
        '"update_port:binding:profile": "rule:admin_only or rule:service_api"\n'
    )
    (etc / "prohibit.ini").write_text(
        "[sriov_driver]\n" f"vnic_type_prohibit_list = {','.join(PROHIBITED)}\n"
    )
    (etc / "agent-neutron.conf").write_text(common)
    (etc / "sriov_agent.ini").write_text(
        "[DEFAULT]\n"
        f"host = {AGENT_HOST}\n"
        "[sriov_nic]\n"
        f"physical_device_mappings = {MAPPED_PHYSNET}:{agent_device()}\n"
        "exclude_devices =\n"
        "[agent]\n"
        "report_interval = 10\n"
        "[securitygroup]\n"
        "firewall_driver = noop\n"
        "[privsep]\n"
        f"helper_command = {VENV / 'bin' / 'privsep-helper'}\n"
    )
    (stack.root / "rabbit" / "rabbitmq-env.conf").write_text(
        "# this stack's own broker: loopback only, private ports\n"
    )

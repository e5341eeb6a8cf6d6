"""The ``openstack`` commands a scenario may use, with the options python-openstackclient
gives them.

Only what the twin models is listed; any other option is refused with the scenario line,
so a typo never silently changes what is simulated. Options the twin accepts but does
not model (descriptions, projects, keys...) are marked ``ignored``: they are recorded
and have no effect, which the step output says.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Optional


@dataclass(frozen=True)
class Opt:
    """One option: where its value goes, whether it takes one, and whether it repeats."""

    dest: str
    takes_value: bool = True
    repeat: bool = False
    const: Any = True  # what a flag stores
    ignored: bool = False
    choices: tuple[str, ...] = ()  # the client refuses anything else (argparse choices)


@dataclass(frozen=True)
class CommandSpec:
    words: tuple[str, ...]
    options: Mapping[str, Opt]
    positionals: tuple[int, Optional[int]] = (0, 0)  # (min, max); max None: unlimited
    metavar: str = ""
    required: tuple[str, ...] = ()  # option names, one of each tuple item ("--a|--b")
    defaults: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return "openstack " + " ".join(self.words)


def _flag(dest: str, const: Any = True) -> Opt:
    return Opt(dest, takes_value=False, const=const)


def _ignored(dest: str, takes_value: bool = True, repeat: bool = False) -> Opt:
    return Opt(dest, takes_value=takes_value, repeat=repeat, ignored=True)


# fmt: off
# cliff's formatter options, on every command that prints something.
FORMATS = ("table", "json", "yaml", "value", "shell", "csv")
VNIC_TYPES = ("direct", "direct-physical", "macvtap", "normal", "baremetal", "virtio-forwarder",
              "vdpa", "remote-managed")
NETWORK_TYPES = ("flat", "geneve", "gre", "local", "vlan", "vxlan")
_SHOW = {
    "-f": Opt("format", choices=FORMATS), "--format": Opt("format", choices=FORMATS),
    "-c": Opt("columns", repeat=True), "--column": Opt("columns", repeat=True),
    "--noindent": _ignored("noindent", False), "--prefix": _ignored("prefix"),
    "--max-width": _ignored("max_width"), "--fit-width": _ignored("fit_width", False),
    "--print-empty": _ignored("print_empty", False),
}
_LIST = {
    **_SHOW,
    "--quote": _ignored("quote"), "--sort-column": _ignored("sort_column", repeat=True),
    "--sort-ascending": _ignored("sort_ascending", False),
    "--sort-descending": _ignored("sort_descending", False),
}
_PROJECT = {"--project": _ignored("project"), "--project-domain": _ignored("project_domain")}
_DESCRIPTION = {"--description": _ignored("description")}
_TAGS = {"--tag": _ignored("tag", repeat=True), "--no-tag": _ignored("no_tag", False)}
_ENABLE = {"--enable": _flag("admin_state_up", True), "--disable": _flag("admin_state_up", False)}
_PORT_SECURITY = {
    "--enable-port-security": _flag("port_security", True),
    "--disable-port-security": _flag("port_security", False),
}
_NUMA_POLICY = {
    f"--numa-policy-{p}": _flag("numa_policy", p) for p in ("required", "preferred", "legacy")
}


def _spec(words: str, options: Mapping[str, Opt], positionals=(0, 0), metavar="",
          required=(), defaults=None) -> CommandSpec:
    return CommandSpec(
        tuple(words.split()), MappingProxyType(dict(options)), positionals, metavar,
        tuple(required), MappingProxyType(dict(defaults or {})),
    )


_SPECS = (
    # -- neutron ----------------------------------------------------------------------------
    _spec("network agent list", {
        **_LIST, "--agent-type": Opt("agent_type"), "--host": Opt("host"),
        "--network": Opt("network"), "--router": _ignored("router"), "--long": _flag("long"),
    }),
    _spec("network agent show", _SHOW, (1, 1), "<network-agent>"),
    _spec("network agent set", {**_ENABLE, **_DESCRIPTION}, (1, 1), "<network-agent>"),
    _spec("network create", {
        **_SHOW, **_PROJECT, **_DESCRIPTION, **_ENABLE, **_PORT_SECURITY, **_TAGS,
        "--provider-physical-network": Opt("physnet"),
        "--provider-network-type": Opt("network_type", choices=NETWORK_TYPES),
        "--provider-segment": Opt("segment"),
        "--share": _flag("shared", True), "--no-share": _flag("shared", False),
        "--external": _flag("external", True), "--internal": _flag("external", False),
        "--mtu": Opt("mtu"), "--default": _ignored("default", False),
        "--no-default": _ignored("no_default", False),
        "--availability-zone-hint": _ignored("az_hint", repeat=True),
        "--transparent-vlan": _flag("vlan_transparent", True),
        "--no-transparent-vlan": _flag("vlan_transparent", False),
        "--dns-domain": _ignored("dns_domain"), "--qos-policy": _ignored("qos_policy"),
    }, (1, 1), "<name>"),
    _spec("network show", _SHOW, (1, 1), "<network>"),
    _spec("network list", {**_LIST, "--long": _flag("long")}),
    _spec("network delete", {}, (1, None), "<network>"),
    _spec("subnet create", {
        **_SHOW, **_PROJECT, **_DESCRIPTION, **_TAGS,
        "--network": Opt("network"), "--subnet-range": Opt("subnet_range"),
        "--allocation-pool": Opt("allocation_pools", repeat=True),
        "--dhcp": _flag("dhcp", True), "--no-dhcp": _flag("dhcp", False),
        "--gateway": Opt("gateway"), "--ip-version": Opt("ip_version", choices=("4", "6")),
        "--dns-nameserver": _ignored("dns_nameservers", repeat=True),
        "--host-route": _ignored("host_routes", repeat=True),
        "--network-segment": _ignored("network_segment"),
        "--subnet-pool": _ignored("subnet_pool"),
        "--use-default-subnet-pool": _ignored("use_default_subnet_pool", False),
        "--prefix-length": _ignored("prefix_length"),
        "--ipv6-ra-mode": _ignored("ipv6_ra_mode"),
        "--ipv6-address-mode": _ignored("ipv6_address_mode"),
    }, (1, 1), "<name>", ("--network", "--subnet-range")),
    _spec("subnet show", _SHOW, (1, 1), "<subnet>"),
    _spec("subnet list", {**_LIST, "--network": Opt("network")}),
    _spec("subnet delete", {}, (1, None), "<subnet>"),
    _spec("port create", {
        **_SHOW, **_PROJECT, **_DESCRIPTION, **_ENABLE, **_PORT_SECURITY, **_NUMA_POLICY, **_TAGS,
        "--network": Opt("network"), "--vnic-type": Opt("vnic_type", choices=VNIC_TYPES),
        "--binding-profile": Opt("binding_profile", repeat=True),
        "--fixed-ip": Opt("fixed_ips", repeat=True), "--no-fixed-ip": _flag("no_fixed_ip"),
        "--mac-address": Opt("mac_address"), "--host": Opt("host"),
        "--device": Opt("device"), "--device-owner": Opt("device_owner"),
        "--security-group": Opt("security_groups", repeat=True),
        "--no-security-group": _flag("no_security_group"),
        "--qos-policy": Opt("qos_policy"),
        "--dns-name": _ignored("dns_name"), "--dns-domain": _ignored("dns_domain"),
        "--allowed-address": _ignored("allowed_address", repeat=True),
        "--extra-dhcp-option": _ignored("extra_dhcp_option", repeat=True),
    }, (1, 1), "<name>", ("--network",)),
    _spec("port show", _SHOW, (1, 1), "<port>"),
    _spec("port list", {
        **_LIST, "--network": Opt("network"), "--server": Opt("server"),
        "--host": Opt("host"), "--long": _flag("long"),
    }),
    _spec("port set", {
        **_ENABLE, **_PORT_SECURITY, **_DESCRIPTION, **_NUMA_POLICY,
        "--host": Opt("host"), "--vnic-type": Opt("vnic_type", choices=VNIC_TYPES),
        "--binding-profile": Opt("binding_profile", repeat=True),
        "--no-binding-profile": _flag("no_binding_profile"),
        "--name": Opt("name"), "--security-group": Opt("security_groups", repeat=True),
        "--no-security-group": _flag("no_security_group"),
    }, (1, 1), "<port>"),
    _spec("port delete", {}, (1, None), "<port>"),
    # -- nova -------------------------------------------------------------------------------
    _spec("flavor create", {
        **_SHOW, **_PROJECT, **_DESCRIPTION,
        "--ram": Opt("ram"), "--vcpus": Opt("vcpus"), "--disk": Opt("disk"),
        "--ephemeral": _ignored("ephemeral"), "--swap": _ignored("swap"),
        "--rxtx-factor": _ignored("rxtx_factor"), "--id": _ignored("id"),
        "--public": _ignored("public", False), "--private": _ignored("private", False),
        "--property": Opt("properties", repeat=True),
    }, (1, 1), "<flavor-name>"),
    _spec("flavor set", {"--property": Opt("properties", repeat=True)}, (1, 1), "<flavor>"),
    _spec("flavor show", _SHOW, (1, 1), "<flavor>"),
    _spec("flavor list", {**_LIST, "--long": _flag("long"), "--all": _ignored("all", False)}),
    _spec("server create", {
        **_SHOW, **_DESCRIPTION,
        "--flavor": Opt("flavor"), "--image": Opt("image"),
        "--image-property": _ignored("image_property", repeat=True),
        "--volume": Opt("volume"), "--snapshot": Opt("snapshot"),
        "--boot-from-volume": _ignored("boot_from_volume"),
        "--nic": Opt("nics", repeat=True), "--network": Opt("networks", repeat=True),
        "--port": Opt("ports", repeat=True),
        "--availability-zone": Opt("availability_zone"), "--host": Opt("host"),
        "--hypervisor-hostname": Opt("hypervisor_hostname"),
        "--config-drive": Opt("config_drive"), "--key-name": _ignored("key_name"),
        "--security-group": Opt("security_groups", repeat=True),
        "--user-data": _ignored("user_data"), "--property": _ignored("property", repeat=True),
        "--hint": _ignored("hint", repeat=True), "--min": _ignored("min"),
        "--max": _ignored("max"), "--wait": _ignored("wait", False),
        "--block-device-mapping": _ignored("bdm", repeat=True),
        "--block-device": _ignored("block_device", repeat=True),
        "--password": _ignored("password"), "--tag": _ignored("tag", repeat=True),
    }, (1, 1), "<server-name>",
        ("--flavor", "--image|--volume|--snapshot|--boot-from-volume")),
    _spec("server add port", {"--tag": _ignored("tag")}, (2, 2), "<server> <port>"),
    _spec("server remove port", {}, (2, 2), "<server> <port>"),
    _spec("server delete", {"--wait": _ignored("wait", False),
                            "--force": _ignored("force", False)}, (1, None), "<server>"),
    _spec("server show", _SHOW, (1, 1), "<server>"),
    _spec("server list", {**_LIST, "--long": _flag("long"), "--host": Opt("host")}),
)
# fmt: on

#: words -> spec; looked up by the longest match of a line's leading words.
COMMANDS: Mapping[tuple[str, ...], CommandSpec] = MappingProxyType({s.words: s for s in _SPECS})
MAX_WORDS = max(len(w) for w in COMMANDS)


def lookup(words: list[str]) -> Optional[CommandSpec]:
    """The spec whose words begin ``words`` (longest first), or None."""
    for n in range(min(MAX_WORDS, len(words)), 0, -1):
        spec = COMMANDS.get(tuple(words[:n]))
        if spec:
            return spec
    return None


def known_commands() -> list[str]:
    return sorted(s.name for s in _SPECS)

"""Reading a site spec: YAML, then the JSON Schema, then the checks a schema cannot express
(a physnet that is not declared, a VF range past num_vfs, two groups with one name).

Everything is refused before any host is looked at, with every problem found listed in one
line: fixing a spec one error per run is how people learn to hate a tool.
"""

from __future__ import annotations

import os
from types import MappingProxyType
from typing import Any

from sriovctl.errors import InputError
from sriovctl.host.model import normalize_address
from sriovctl.site.model import (
    DEFAULT_FILES,
    DEFAULT_RELEASE,
    DEFAULT_SERVICES,
    RELEASE_NAMES,
    ROLE_FILES,
    Group,
    NicSelector,
    PfName,
    Physnet,
    Role,
    Site,
    VfSettings,
)
from sriovctl.site.source import Source, dotted, load_yaml
from sriovctl.site.validate import schema_problems

SHOWN = 4  # problems spelled out in the one-line error; the rest are counted


def load_site(path: str) -> Site:
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        raise InputError(f"no site spec at {path}", fix="give the path with -f") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read the site spec {path}: {e}") from None
    return parse_site(text, path)


def parse_site(text: str, name: str = "site.yaml") -> Site:
    source = load_yaml(text, os.path.basename(name))
    if not isinstance(source.data, dict):
        raise InputError(f"{source.name}: expected a mapping with version, physnets and "
                         "groups at the top", fix="see examples/site/site.yaml")
    problems = schema_problems(source)
    if not problems:
        problems = _cross_checks(source)
    if problems:
        raise_problems(source.name, problems)
    return _build(source, name)


def raise_problems(name: str, problems: list[str]) -> None:
    more = len(problems) - SHOWN
    text = "; ".join(problems[:SHOWN]) + (f"; and {more} more" if more > 0 else "")
    count = f"{len(problems)} problems" if len(problems) > 1 else "1 problem"
    raise InputError(f"{name}: {count}: {text}",
                     fix="correct the spec; nothing was read from or changed on any host")


def parse_pf_name(text: str) -> PfName:
    name, _, ranges = text.partition("#")
    if not ranges:
        return PfName(name, None, text)
    indexes: set[int] = set()
    for part in ranges.split(","):
        low, _, high = part.partition("-")
        first, last = int(low), int(high or low)
        if first > last:
            raise ValueError(f"range {part} runs backwards")
        indexes.update(range(first, last + 1))
    return PfName(name, tuple(sorted(indexes)), text)


def _cross_checks(source: Source) -> list[str]:
    data = source.data
    out: list[tuple[int, str]] = []

    def say(path: tuple, text: str) -> None:
        line = source.lines.get(path, 0)
        out.append((line, f"{source.where(path)}: {dotted(path)}: {text}"))

    physnets = data.get("physnets", {})
    for name, net in physnets.items():
        net = net or {}
        kind = net.get("network_type", "vlan")
        for i, r in enumerate(net.get("vlan_ranges", [])):
            low, high = (int(x) for x in r.split(":"))
            if not 1 <= low <= high <= 4094:
                say(("physnets", name, "vlan_ranges", i),
                    f"expected MIN:MAX with 1 <= MIN <= MAX <= 4094; got {r!r}")
        if kind == "flat" and net.get("vlan_ranges"):
            say(("physnets", name, "vlan_ranges"), "a flat physnet has no VLAN ranges")
    seen: dict[str, int] = {}
    for i, group in enumerate(data["groups"]):
        at = ("groups", i)
        if group["name"] in seen:
            first = seen[group["name"]]
            say((*at, "name"), f"{group['name']!r} is already the name of groups[{first}]")
        seen.setdefault(group["name"], i)
        if group["physnet"] not in physnets:
            say((*at, "physnet"), f"{group['physnet']!r} is not declared under physnets "
                f"(declared: {', '.join(sorted(physnets))})")
        for j, text in enumerate(group["nics"].get("pf_names", [])):
            try:
                pf = parse_pf_name(text)
            except ValueError as e:
                say((*at, "nics", "pf_names", j), f"{text!r}: {e}")
                continue
            if pf.vfs and pf.vfs[-1] >= group["num_vfs"]:
                say((*at, "nics", "pf_names", j),
                    f"{text!r} claims VF {pf.vfs[-1]} but num_vfs is {group['num_vfs']} "
                    f"(VFs are numbered 0..{group['num_vfs'] - 1})")
        vf = group.get("vf") or {}
        if ("qos" in vf or "vlan_proto" in vf) and not vf.get("vlan"):
            say((*at, "vf"), "qos and vlan_proto need a vlan (1-4094)")
        if vf.get("max_tx_rate") and vf.get("min_tx_rate", 0) > vf["max_tx_rate"]:
            say((*at, "vf", "min_tx_rate"), "expected at most max_tx_rate")
    keys: dict[str, str] = {}
    for i, arg in enumerate((data.get("kernel") or {}).get("args", [])):
        key, _, value = arg.partition("=")
        if key in keys and keys[key] != value:
            say(("kernel", "args", i), f"{arg!r} contradicts {key}={keys[key]}")
        keys.setdefault(key, value)
    return [text for _, text in sorted(out)]


def _build(source: Source, path: str) -> Site:
    data: dict[str, Any] = source.data
    openstack = data.get("openstack") or {}
    release = openstack.get("release", DEFAULT_RELEASE)
    physnets = {name: Physnet(name, (net or {}).get("network_type", "vlan"),
                              tuple((net or {}).get("vlan_ranges", ())))
                for name, net in data["physnets"].items()}
    roles_data = data.get("roles") or {"compute": {}}
    roles = {}
    for name, role in roles_data.items():
        role = role or {}
        roles[name] = Role(
            name=name, hosts=tuple(role.get("hosts", ["*"])),
            files=MappingProxyType({k: role.get(k, DEFAULT_FILES[k]) for k in ROLE_FILES[name]}),
            services=tuple(role.get("services", DEFAULT_SERVICES[name])))
    groups = []
    for i, g in enumerate(data["groups"]):
        nics = g["nics"]
        groups.append(Group(
            name=g["name"], hosts=tuple(g.get("hosts", ())),
            nics=NicSelector(
                pf_names=tuple(parse_pf_name(t) for t in nics.get("pf_names", ())),
                vendor=nics["vendor"].lower() if "vendor" in nics else None,
                device=nics["device"].lower() if "device" in nics else None,
                root_devices=tuple(normalize_address(a) or a
                                   for a in nics.get("root_devices", ()))),
            physnet=g["physnet"], num_vfs=g["num_vfs"], driver=g.get("driver", "default"),
            vf=VfSettings(**(g.get("vf") or {})),
            where=f"{source.where(('groups', i))} groups[{i}] {g['name']!r}"))
    return Site(
        path=path, release=RELEASE_NAMES.get(release, release),
        configure_openstack=openstack.get("configure", True),
        physnets=MappingProxyType(physnets),
        kernel_iommu=(data.get("kernel") or {}).get("iommu", False),
        kernel_args=tuple((data.get("kernel") or {}).get("args", ())),
        roles=MappingProxyType(roles), groups=tuple(groups))

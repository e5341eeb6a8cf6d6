"""Reading what many hosts reported: inventories, check results, Ansible facts.

Accepted, in any mix, one JSON document per file (or a JSON list of them):
  - `sriovctl inspect -f json`     schema sriovctl.inventory/1
  - `sriovctl check -f json`       {"host", "summary", "findings"}
  - the sriov_facts module's result as `ansible -m sriovctl.sriov.sriov_facts --tree DIR`
    writes it (one file per host, named after the host), with ansible_facts.sriov_inventory
    and ansible_facts.sriov_check
  - a playbook run's output with ANSIBLE_STDOUT_CALLBACK=json (plays -> tasks -> hosts)

Which inventory a check result belongs to: the Ansible host name when there is one; else the
hostname in the document; else the file name up to its first dot, so compute-3.json and
compute-3.check.json pair up (a check result names its root, "/", not the host).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Optional

from sriovctl.errors import InputError

INVENTORY_SCHEMA = "sriovctl.inventory/1"


@dataclass
class HostInput:
    name: str
    inventory: Optional[dict] = None
    check: Optional[dict] = None
    sources: list[str] = field(default_factory=list)


@dataclass
class _Doc:
    kind: str  # inventory | check
    data: dict
    source: str
    name: Optional[str]  # known host name (Ansible, or the document's own)
    stem: str


def load_inputs(paths: list[str]) -> list[HostInput]:
    docs: list[_Doc] = []
    for path in paths:
        docs.extend(_read(path))
    return _pair(docs)


def _read(path: str) -> list[_Doc]:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        raise InputError(f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read {path}: {e}") from None
    except ValueError as e:
        raise InputError(f"{path} is not JSON: {e}",
                         fix="give the output of `sriovctl inspect -f json`, `sriovctl check "
                         "-f json`, or the sriov_facts module") from None
    stem = os.path.basename(path).split(".", 1)[0]
    found: list[_Doc] = []
    for item in data if isinstance(data, list) else [data]:
        found.extend(_classify(item, path, stem, ansible_host=None))
    if not found:
        raise InputError(f"{path}: neither an inventory, a check result nor Ansible facts",
                         fix="produce it with `sriovctl inspect -f json` or `sriovctl check "
                         "-f json`, or the sriovctl.sriov.sriov_facts module")
    return found


def _classify(item: Any, path: str, stem: str, ansible_host: Optional[str]) -> list[_Doc]:
    if not isinstance(item, dict):
        return []
    if item.get("schema") == INVENTORY_SCHEMA:
        name = ansible_host or (item.get("host") or {}).get("hostname")
        return [_Doc("inventory", item, path, name, stem)]
    if isinstance(item.get("summary"), dict) and isinstance(item.get("findings"), list):
        return [_Doc("check", item, path, ansible_host or item.get("hostname"), stem)]
    facts = item.get("ansible_facts")
    if isinstance(facts, dict) and "sriov_inventory" in facts:
        # a --tree file is named after the host; that name wins over the machine's own
        host = ansible_host or stem
        out = _classify(facts["sriov_inventory"], path, stem, host)
        if facts.get("sriov_check") is not None:
            out += _classify(facts["sriov_check"], path, stem, host)
        return out
    if isinstance(item.get("plays"), list):
        out = []
        for play in item["plays"]:
            for task in play.get("tasks", []) if isinstance(play, dict) else []:
                for host, result in (task.get("hosts") or {}).items():
                    out += _classify(result, path, stem, host)
        return out
    return []


def _pair(docs: list[_Doc]) -> list[HostInput]:
    hosts: dict[str, HostInput] = {}
    for doc in docs:
        if doc.kind != "inventory":
            continue
        name = doc.name or doc.stem
        if name in hosts:
            if hosts[name].inventory == doc.data:
                continue  # the same facts gathered twice (two plays): not a conflict
            raise InputError(f"two different inventories for host {name}: "
                             f"{hosts[name].sources[0]} and {doc.source}",
                             fix="give each host once (rename the files, or fix hostnames)")
        hosts[name] = HostInput(name, inventory=doc.data, sources=[doc.source])
    # a check result names the root it read ("/" on every live host, a snapshot path
    # otherwise): usable to pair only when exactly one inventory has that root
    roots: dict[str, list[str]] = {}
    for name, entry in hosts.items():
        root = str((entry.inventory or {}).get("host", {}).get("source"))
        roots.setdefault(root, []).append(name)
    for doc in docs:
        if doc.kind != "check":
            continue
        same_root = roots.get(str(doc.data.get("host")), [])
        candidates = (doc.name, doc.stem, same_root[0] if len(same_root) == 1 else None)
        name = next((n for n in candidates if n in hosts), None) or doc.name or doc.stem
        entry = hosts.setdefault(name, HostInput(name))
        entry.check = doc.data
        if doc.source not in entry.sources:
            entry.sources.append(doc.source)
    return sorted(hosts.values(), key=lambda h: h.name)

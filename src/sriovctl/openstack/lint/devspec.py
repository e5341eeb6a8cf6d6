"""``[pci] device_spec`` against the hardware: what each entry selects, and what goes wrong.

Each option occurrence is parsed on its own (nova stops at the first bad one; a linter
should report them all), first with no host — syntax and nova's own errors — then once
per host, because nova resolves ``devname`` and "is this address a PF" in sysfs. Every
device a host has is then offered to the entries in order: the first entry that matches
gives the device its tags (nova's rule), later ones never see it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sriovctl.checks.finding import Finding
from sriovctl.openstack.config import Value
from sriovctl.openstack.lint.hosts import HostFacts
from sriovctl.openstack.lint.regex import prefix_pitfalls, selected_by_prefix
from sriovctl.openstack.nova import NO_HOST, DeviceSpec, NovaPciError, parse_device_spec
from sriovctl.openstack.nova.host import HostLookup


@dataclass(frozen=True)
class Entry:
    """One dict of one device_spec occurrence."""

    value: Value
    index: int  # position in the occurrence's JSON list
    count: int  # entries in that occurrence
    spec: DeviceSpec

    @property
    def where(self) -> str:
        return self.value.where

    @property
    def label(self) -> str:
        return self.where if self.count == 1 else f"{self.where} #{self.index + 1}"

    @property
    def called(self) -> str:
        """How a message names the entry; the finding's subject already gives file:line."""
        return "this entry" if self.count == 1 else f"entry #{self.index + 1} of this line"

    @property
    def text(self) -> str:
        return json.dumps(self.spec.conf, sort_keys=False, default=str)

    @property
    def physnet(self) -> object:
        return self.spec.physical_network


@dataclass(frozen=True)
class SpecMatch:
    """What one entry selects on one host; ``taken`` are devices an earlier entry got first."""

    host: str
    entry: Entry
    devices: tuple[dict, ...]
    taken: tuple[str, ...]

    def to_dict(self) -> dict:
        return {
            "host": self.host, "spec": self.entry.label, "entry": self.entry.spec.conf,
            "physical_network": self.entry.physnet,
            "devices": [d["address"] for d in self.devices],
            "dev_types": sorted({d["dev_type"] for d in self.devices}),
            "first_match_elsewhere": list(self.taken),
        }  # fmt: skip


def _error_finding(value: Value, error: NovaPciError, host: str | None = None) -> Finding:
    on = f" on {host}" if host else ""
    return Finding(
        "devspec.invalid", "error", value.where,
        f"nova-compute{on} refuses this [pci] {value.option} value and does not start: "
        f"{error.nova_exception}: {error.message}",
        (f"{value.name} = {value.value}",), error.fix,
    )  # fmt: skip


def parse_entries(values: tuple[Value, ...], lookup: HostLookup = NO_HOST,
                  host: str | None = None) -> tuple[list[Entry], list[Finding]]:
    entries, findings = [], []
    for line, value in enumerate(values):
        try:
            specs = parse_device_spec(value.value, line=line, host=lookup)
        except NovaPciError as e:
            findings.append(_error_finding(value, e, host))
            continue
        entries += [Entry(value, i, len(specs), s) for i, s in enumerate(specs)]
    return entries, findings


def static_findings(entries: list[Entry]) -> list[Finding]:
    """What is wrong with an entry whatever the host."""
    findings = []
    for e in entries:
        for pit in prefix_pitfalls(e.spec.conf.get("address")):
            findings.append(Finding(
                "devspec.regex-prefix", "warning", e.where, pit.describe(),
                (f"{e.value.name} = {e.value.value}",),
                f"anchor the pattern at the end and write the whole field: {pit.suggestion}",
            ))  # fmt: skip
        trusted = e.spec.tags.get("trusted")
        if trusted is not None and str(trusted).lower() not in ("true", "false"):
            findings.append(Finding(
                "devspec.trusted-value", "warning", e.where,
                f'"trusted": {json.dumps(trusted)} is kept as written; a port asking for a '
                'trusted VF is matched against "true", so these VFs never qualify',
                (e.text,), 'write "trusted": "true" (or "false")',
            ))  # fmt: skip
    return findings


def match_host(entries: list[Entry], facts: HostFacts) -> tuple[list[SpecMatch], list[Finding]]:
    """Offer every device of the host to the entries in order (first match wins)."""
    matched: dict[int, list[dict]] = {i: [] for i in range(len(entries))}
    owner: dict[str, int] = {}
    broken: set[int] = set()
    findings = []
    for dev in facts.devices:
        for i, e in enumerate(entries):
            if i in broken:
                continue
            try:
                hit = e.spec.match(dev)
            except NovaPciError as err:
                broken.add(i)
                findings.append(_error_finding(e.value, err, facts.label))
                continue
            if hit:
                matched[i].append(dev)
                owner.setdefault(dev["address"], i)
    results = []
    for i, e in enumerate(entries):
        taken = tuple(d["address"] for d in matched[i] if owner[d["address"]] != i)
        results.append(SpecMatch(facts.label, e, tuple(matched[i]), taken))
    return results, findings


def match_findings(matches: list[SpecMatch], facts: HostFacts) -> list[Finding]:
    """Per host: PFs where VFs were meant, shadowed entries, non-NICs, prefix matches."""
    findings = []
    for m in matches:
        e, devs, on = m.entry, m.devices, facts.label
        it = e.called.capitalize()
        types = {d["dev_type"] for d in devs}
        pfs = [d["address"] for d in devs if d["dev_type"] == "type-PF"]
        evidence = (f"{e.value.name} = {e.value.value}",
                    f"{on}: " + (", ".join(d["address"] for d in devs) or "(nothing)"))
        if pfs and "type-VF" not in types:
            no_vfs = [a for a in pfs if not (facts.device(a) and facts.device(a).virtfns)]
            why = f"; {', '.join(no_vfs)} has no VFs (sriov_numvfs = 0)" if no_vfs else ""
            findings.append(Finding(
                "devspec.pf-only", "warning", e.where,
                f"{it} selects only PFs on {on} ({', '.join(pfs)}){why}: direct and "
                "macvtap ports need VFs, only direct-physical ports can use these", evidence,
                _vf_fix(facts, pfs),
            ))  # fmt: skip
        elif pfs:
            findings.append(Finding(
                "devspec.pf-and-vfs", "warning", e.where,
                f"{it} selects the PF {', '.join(pfs)} as well as VFs on {on}: a "
                "direct-physical port can take the whole PF, and its VFs (and the agent's "
                "mapped interface) are gone while it runs", evidence, _vf_fix(facts, pfs),
            ))  # fmt: skip
        if devs and len(m.taken) == len(devs):
            findings.append(Finding(
                "devspec.shadowed", "warning", e.where,
                f"{it} never applies on {on}: every device it selects matched an earlier "
                "entry first, and nova uses only the first match (its tags are ignored)",
                evidence, "remove the entry or narrow the earlier one",
            ))  # fmt: skip
        elif m.taken:
            findings.append(Finding(
                "devspec.partly-shadowed", "warning", e.where,
                f"on {on}, {', '.join(m.taken)} take the tags of an earlier entry, not of "
                f"{e.called} (first match wins)", evidence,
                "make the entries select disjoint devices",
            ))  # fmt: skip
        other = [d["address"] for d in devs if not str(d.get("class") or "").startswith("02")]
        if other and e.physnet is not None:
            findings.append(Finding(
                "devspec.not-a-nic", "warning", e.where,
                f"{it} tags non-network devices with physical_network on {on}: "
                f"{', '.join(other[:6])}{' …' if len(other) > 6 else ''}", evidence,
                "narrow the entry with vendor_id/product_id or an address",
            ))  # fmt: skip
        pits = prefix_pitfalls(e.spec.conf.get("address"))
        extra = [d["address"] for d in devs if pits and selected_by_prefix(pits, d["address"])]
        if extra:
            findings.append(Finding(
                "devspec.regex-prefix-hit", "warning", e.where,
                f"on {on}, {e.called} selects {', '.join(extra)} only because re.match is "
                "anchored at the start", evidence, "end each address pattern with $",
            ))  # fmt: skip
    return findings


def _vf_fix(facts: HostFacts, pfs: list[str]) -> str:
    pf = facts.device(pfs[0])
    vf_id = pf.sriov.vf_device if pf and pf.sriov else None
    if not vf_id:
        return 'select VFs: add "product_id" of the VFs (see sriovctl inspect)'
    return (f'select VFs only: "address": "{pfs[0]}", "vendor_id": "{pf.vendor_id}", '
            f'"product_id": "{vf_id}" (the VF id; the PF is {pf.device_id})')

"""A finding: what is wrong (or notable), on what, the evidence read, and the fix."""

from __future__ import annotations

from dataclasses import dataclass, field

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding:
    id: str  # stable, dotted: "iommu.kernel-off", "vf.group-shared"
    severity: str  # error | warning | info
    subject: str  # PCI address, interface, file or "host"
    message: str
    evidence: tuple[str, ...] = ()  # "path = value" lines, as read
    fix: str | None = None  # exact commands or config lines

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "severity": self.severity,
            "subject": self.subject,
            "message": self.message,
            "evidence": list(self.evidence),
            "fix": self.fix,
        }


@dataclass(frozen=True)
class Scope:
    """What the user narrowed the check to (--pf / --vf); empty means the whole host."""

    pfs: frozenset[str] = field(default_factory=frozenset)  # PF addresses
    vfs: frozenset[str] = field(default_factory=frozenset)  # VF addresses

    def wants_pf(self, address: str) -> bool:
        return (not self.pfs and not self.vfs) or address in self.pfs

    def wants_vf(self, address: str, pf_address: str | None) -> bool:
        if not self.pfs and not self.vfs:
            return True
        return address in self.vfs or (pf_address in self.pfs)


def summarize(findings: list[Finding]) -> dict:
    counts = {s: sum(1 for f in findings if f.severity == s) for s in SEVERITIES}
    return {"ready": counts["error"] == 0, **counts}

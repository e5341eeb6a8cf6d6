"""The state file: the VF counts and settings this host should have, re-applied at boot.

JSON (standard library, fast to load at boot, no YAML on/off-as-boolean surprises for
spoofchk and trust), versioned, keyed by the PF's PCI address (stable across renames),
with the netdev name and vendor:device kept to recognise a swapped card:

    {"version": 1,
     "pfs": {"0000:01:00.0": {"netdev": "enp1s0", "device": "8086:10c9", "numvfs": 7,
                              "drivers_autoprobe": true,
                              "vfs": {"0": {"mac": "fa:16:3e:fe:47:d2", "vlan": 1000,
                                            "spoofchk": true, "trust": true}},
                              "vfio": [5, 6]}}}

"vfio" lists the VFs bound to vfio-pci (for DPDK guests): re-creation puts every VF on the
PF's usual VF driver, so the binding must be re-applied at boot like the settings.

A file that is corrupt, or written by a newer sriovctl, is refused with one line: guessing
at it at boot could destroy VFs that guests use.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any, Optional

from sriovctl.changes.files import BACKUP_SUFFIX, FileWriter, WriteFile
from sriovctl.errors import InputError
from sriovctl.vfs.settings import VfConfig, from_dict

STATE_PATH = "/etc/sriovctl/vfs.json"
VERSION = 1


@dataclass(frozen=True)
class PfState:
    address: str
    netdev: Optional[str] = None
    device: Optional[str] = None
    numvfs: Optional[int] = None
    drivers_autoprobe: Optional[bool] = None
    vfs: dict[int, VfConfig] = field(default_factory=dict)
    vfio: tuple[int, ...] = ()  # VF indexes bound to vfio-pci

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key in ("netdev", "device", "numvfs", "drivers_autoprobe"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.vfs:
            out["vfs"] = {str(i): c.to_dict() for i, c in sorted(self.vfs.items()) if c}
        if self.vfio:
            out["vfio"] = sorted(self.vfio)
        return out


@dataclass(frozen=True)
class State:
    pfs: dict[str, PfState] = field(default_factory=dict)
    path: str = STATE_PATH

    def to_json(self) -> str:
        data = {"version": VERSION,
                "pfs": {a: p.to_dict() for a, p in sorted(self.pfs.items())}}
        return json.dumps(data, indent=2) + "\n"

    def with_pf(self, pf: PfState) -> State:
        return replace(self, pfs={**self.pfs, pf.address: pf})

    def pf(self, address: str) -> Optional[PfState]:
        return self.pfs.get(address)


def load_state(files: FileWriter, path: str = STATE_PATH) -> State:
    """The state at `path`; an empty State when there is no file yet."""
    found = files.read(path)
    if found is None:
        return State(path=path)
    return parse_state(found.content, path)


def parse_state(content: bytes, path: str) -> State:
    fix = (f"restore {path}{BACKUP_SUFFIX}, or move {path} away and record the VFs again "
           "with `sriovctl vfs set` / `sriovctl vfs vf`")
    try:
        data = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise InputError(f"{path} is corrupt: {e}", fix=fix) from None
    if not isinstance(data, dict) or not isinstance(data.get("version"), int):
        raise InputError(f"{path} is not a sriovctl state file (no version)", fix=fix)
    if data["version"] > VERSION:
        raise InputError(f"{path} is version {data['version']}, written by a newer sriovctl; "
                         f"this one reads version {VERSION}",
                         fix="upgrade sriovctl on this host; nothing was changed")
    pfs = data.get("pfs", {})
    if not isinstance(pfs, dict):
        raise InputError(f"{path}: 'pfs' must be an object keyed by PCI address", fix=fix)
    try:
        return State({a: _pf(a, p, path) for a, p in pfs.items()}, path=path)
    except InputError as e:
        raise InputError(e.message, fix=fix) from None


def _pf(address: str, data: Any, path: str) -> PfState:
    from sriovctl.host.model import normalize_address

    where = f"{path}: PF {address}"
    if normalize_address(address) != address or not isinstance(data, dict):
        raise InputError(f"{where}: expected a PCI address (0000:01:00.0) and an object")
    numvfs = data.get("numvfs")
    if numvfs is not None and (not isinstance(numvfs, int) or isinstance(numvfs, bool)
                               or numvfs < 0):
        raise InputError(f"{where}: numvfs must be a whole number")
    autoprobe = data.get("drivers_autoprobe")
    if autoprobe is not None and not isinstance(autoprobe, bool):
        raise InputError(f"{where}: drivers_autoprobe must be true or false")
    vfs = data.get("vfs", {})
    if not isinstance(vfs, dict) or not all(str(k).isdigit() for k in vfs):
        raise InputError(f"{where}: vfs must be an object keyed by VF index")
    vfio = data.get("vfio", [])
    if not isinstance(vfio, list) or not all(
            isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in vfio):
        raise InputError(f"{where}: vfio must be a list of VF indexes")
    return PfState(address=address, netdev=_str(data.get("netdev")),
                   device=_str(data.get("device")), numvfs=numvfs, drivers_autoprobe=autoprobe,
                   vfs={int(i): from_dict(c, f"{where} VF {i}") for i, c in vfs.items()},
                   vfio=tuple(sorted(set(vfio))))


def _str(value: Any) -> Optional[str]:
    return value if isinstance(value, str) else None


def save_step(files: FileWriter, state: State, why: str = "") -> Optional[WriteFile]:
    """A step writing the state file; None when the file already says exactly this."""
    current = files.read(state.path)
    if current is not None and current.content == state.to_json().encode():
        return None
    return WriteFile(files, state.path, state.to_json(), 0o644, why=why or "VF state")


def recorded(state: State, pf: Any, numvfs: Optional[int] = None,
             autoprobe: Optional[bool] = None,
             vfs: Optional[dict[int, VfConfig]] = None) -> State:
    """`state` with what a command just set on `pf` (a host PciDevice) written in.

    Settings merge per field into what was recorded; a count that shrinks forgets the settings
    of VFs that no longer exist; recording settings alone also records the current count,
    since settings without their VFs cannot come back at boot.
    """
    old = state.pf(pf.address) or PfState(pf.address)
    count = numvfs if numvfs is not None else (
        old.numvfs if old.numvfs is not None else (pf.sriov.numvfs if pf.sriov else None))
    merged = dict(old.vfs)
    for index, config in (vfs or {}).items():
        merged[index] = merged.get(index, VfConfig()).merged(config)
    vfio = old.vfio
    if count is not None:
        merged = {i: c for i, c in merged.items() if i < count}
        vfio = tuple(i for i in vfio if i < count)
    return state.with_pf(replace(
        old, netdev=pf.netdevs[0] if pf.netdevs else old.netdev, device=pf.vendor_device,
        numvfs=count, vfs=merged, vfio=vfio,
        drivers_autoprobe=autoprobe if autoprobe is not None else old.drivers_autoprobe))

"""What the VF state file (`sriovctl vfs persist`) says a PF should have, for the alerts
"numvfs differs from the persisted state" and "spoofchk off where the state says on".

The file and its format belong to the VF lifecycle code (`sriovctl.vfs.state`); it is read
through that module's parser, so the exporter agrees with `sriovctl vfs apply` on what the
file means. It is parsed again only when its mtime changes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from sriovctl.errors import SriovctlError
from sriovctl.host.root import Root
from sriovctl.monitor.stamp import path_stamp

_EMPTY: Mapping = MappingProxyType({})


@dataclass(frozen=True)
class Persisted:
    numvfs: Mapping[str, int] = field(default_factory=lambda: _EMPTY)  # PF PCI -> count
    spoofchk: Mapping[tuple[str, int], bool] = field(default_factory=lambda: _EMPTY)


def default_state_path() -> str:
    from sriovctl.vfs.state import STATE_PATH

    return STATE_PATH


def parse(content: bytes, path: str) -> Persisted:
    from sriovctl.vfs.state import parse_state  # raises InputError for a bad file

    state = parse_state(content, path)
    numvfs = {a: p.numvfs for a, p in state.pfs.items() if p.numvfs is not None}
    spoof = {(a, i): c.spoofchk for a, p in state.pfs.items() for i, c in p.vfs.items()
             if c.spoofchk is not None}
    return Persisted(MappingProxyType(numvfs), MappingProxyType(spoof))


class PersistedCache:
    """The state file under a root, re-parsed when it changes. `error` is the last failure."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.error: str | None = None
        self._stamp: tuple | None = None
        self._value: Persisted | None = None

    def get(self, root: Root) -> Persisted | None:
        stamp = path_stamp(root, self.path)
        if stamp is None:
            self._stamp, self._value, self.error = None, None, None
        elif stamp != self._stamp:
            self._stamp = stamp
            data = root.read_bytes(self.path, limit=1 << 22)
            try:
                self._value, self.error = parse(data or b"", self.path), None
            except SriovctlError as e:
                self._value, self.error = None, e.one_line()
        return self._value


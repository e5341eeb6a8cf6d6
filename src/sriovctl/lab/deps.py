"""What the lab needs on the host, and installing it on Debian bookworm.

QEMU must be >= 8.0 for `-device igb` (the emulated 82576 with SR-IOV); bookworm
ships 7.2, so on bookworm QEMU comes from bookworm-backports. The backports suite
is added with the *same* URI as the machine's existing Debian source, so the lab
uses whatever mirror the machine is already configured for.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from sriovctl.errors import SriovctlError
from sriovctl.lab.progress import Progress, run_logged

MIN_QEMU = (8, 0)
QEMU_BINARY = "qemu-system-x86_64"
BACKPORTS_FILE = Path("/etc/apt/sources.list.d/sriovctl-bookworm-backports.sources")
DEBIAN_SOURCES = Path("/etc/apt/sources.list.d/debian.sources")
LEGACY_SOURCES = Path("/etc/apt/sources.list")

# program -> Debian package that provides it (besides QEMU, handled on its own)
TOOLS = {"debootstrap": "debootstrap", "mke2fs": "e2fsprogs", "zstd": "zstd"}


@dataclass(frozen=True)
class Missing:
    what: str  # e.g. "qemu-system-x86_64 >= 8.0 (found 7.2.9)"
    debian_package: str
    from_backports: bool = False


def parse_qemu_version(text: str) -> Optional[tuple[int, int]]:
    m = re.search(r"version (\d+)\.(\d+)", text)
    return (int(m.group(1)), int(m.group(2))) if m else None


def qemu_version() -> Optional[tuple[int, int]]:
    path = shutil.which(QEMU_BINARY)
    if not path:
        return None
    out = subprocess.run([path, "--version"], capture_output=True, text=True, check=False)
    return parse_qemu_version(out.stdout)


def missing() -> list[Missing]:
    found: list[Missing] = []
    version = qemu_version()
    if version is None or version < MIN_QEMU:
        seen = f"found {version[0]}.{version[1]}" if version else "not installed"
        found.append(Missing(f"{QEMU_BINARY} >= 8.0 ({seen})", "qemu-system-x86", True))
    for program, package in TOOLS.items():
        if not shutil.which(program):
            found.append(Missing(program, package))
    return found


def debian_mirror_uri(
    deb822: Path = DEBIAN_SOURCES, legacy: Path = LEGACY_SOURCES
) -> Optional[str]:
    """The URI of this machine's main Debian archive (not the security archive)."""
    if deb822.exists():
        for stanza in deb822.read_text().split("\n\n"):
            fields = _deb822_fields(stanza)
            suites = fields.get("suites", "").split()
            if any(s in ("bookworm", "stable") for s in suites) and fields.get("uris"):
                return fields["uris"].split()[0].rstrip("/")
    if legacy.exists():
        for line in legacy.read_text().splitlines():
            parts = line.split("#", 1)[0].split()
            # deb [options] URI SUITE COMPONENTS...
            words = [w for w in parts if not w.startswith("[") and not w.endswith("]")]
            if len(words) >= 3 and words[0] == "deb" and words[2] in ("bookworm", "stable"):
                return words[1].rstrip("/")
    return None


def _deb822_fields(stanza: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in stanza.splitlines():
        if line.startswith("#") or ":" not in line or line[:1].isspace():
            continue
        key, value = line.split(":", 1)
        fields[key.strip().lower()] = value.strip()
    return fields


def backports_stanza(uri: str) -> str:
    return (
        "# Added by sriovctl lab: QEMU >= 8 (emulated igb SR-IOV NIC) comes from backports.\n"
        "Types: deb\n"
        f"URIs: {uri}\n"
        "Suites: bookworm-backports\n"
        "Components: main\n"
        "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
    )


def is_debian_bookworm(os_release: Path = Path("/etc/os-release")) -> bool:
    try:
        text = os_release.read_text()
    except OSError:
        return False
    return "ID=debian" in text and "VERSION_CODENAME=bookworm" in text


def manual_instructions(items: list[Missing]) -> str:
    names = ", ".join(m.what for m in items)
    return (
        f"missing: {names}. Install QEMU >= 8.0 with qemu-system-x86_64 (for -device igb), "
        "debootstrap, e2fsprogs (mke2fs) and zstd with your distribution's package manager; "
        "on Debian bookworm: add the bookworm-backports suite and run "
        "'apt-get install -t bookworm-backports qemu-system-x86' and "
        "'apt-get install debootstrap e2fsprogs zstd'"
    )


def ensure(progress: Progress, log_dir: Path, install: bool = True) -> list[str]:
    """Make sure the lab's host tools are present; returns what was installed."""
    todo = missing()
    if not todo:
        return []
    if not install:
        raise SriovctlError(manual_instructions(todo), fix="run 'sriovctl lab build' as root")
    if not is_debian_bookworm() or os.geteuid() != 0 or not shutil.which("apt-get"):
        raise SriovctlError(
            manual_instructions(todo),
            fix="install those, or run 'sriovctl lab build' as root on Debian bookworm",
        )
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    log = log_dir / "apt.log"
    installed: list[str] = []
    plain = [m.debian_package for m in todo if not m.from_backports]
    if any(m.from_backports for m in todo):
        _add_backports(progress)
        run_logged(["apt-get", "update"], "apt-get update", progress, log, env=env)
        run_logged(
            ["apt-get", "install", "-y", "-t", "bookworm-backports", "qemu-system-x86"],
            "installing QEMU from bookworm-backports", progress, log, env=env,
        )
        installed.append("qemu-system-x86 (bookworm-backports)")
    if plain:
        run_logged(
            ["apt-get", "install", "-y", *plain], f"installing {', '.join(plain)}",
            progress, log, env=env,
        )
        installed.extend(plain)
    still = missing()
    if still:
        raise SriovctlError(
            f"still missing after installing: {', '.join(m.what for m in still)}",
            fix=f"see {log}",
        )
    return installed


def _add_backports(progress: Progress) -> None:
    if BACKPORTS_FILE.exists() or _backports_configured():
        return
    uri = debian_mirror_uri()
    if not uri:
        raise SriovctlError(
            "cannot find this machine's Debian mirror in its apt sources",
            fix="add the bookworm-backports suite to your apt sources, then rerun",
        )
    BACKPORTS_FILE.write_text(backports_stanza(uri))
    progress.say(f"added bookworm-backports ({uri}) in {BACKPORTS_FILE}")


def _backports_configured() -> bool:
    sources = [LEGACY_SOURCES, *Path("/etc/apt/sources.list.d").glob("*")]
    for path in sources:
        if path.is_file() and path.suffix in (".list", ".sources", ""):
            try:
                if "bookworm-backports" in path.read_text():
                    return True
            except OSError:
                continue
    return False

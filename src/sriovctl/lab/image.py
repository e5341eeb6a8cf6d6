"""The guest image: where it is cached, whether it is current, and building it.

Layout, one directory per kernel under the cache directory:
  <cache>/kernel-6.1/rootfs/       debootstrapped tree (kept: rebuilding it is the slow part)
  <cache>/kernel-6.1/root.img      raw ext4, booted with snapshot=on (never written to)
  <cache>/kernel-6.1/vmlinux       uncompressed kernel (PVH boot), initrd.img beside it
  <cache>/kernel-6.1/manifest.json what was built from which recipe, and how long it took
An image is current when its manifest's recipe key matches the running code's, so a
change to the guest files rebuilds only the cheap stage, and a second build is instant.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from sriovctl.errors import SriovctlError
from sriovctl.lab import deps, rootfs, vmlinux
from sriovctl.lab.progress import Progress, run_logged

KERNELS = {"6.1": False, "6.12": True}  # kernel -> comes from bookworm-backports
DEFAULT_KERNEL = "6.1"
RECIPE_VERSION = "1"


def cache_dir() -> Path:
    override = os.environ.get("SRIOVCTL_LAB_CACHE")
    if override:
        return Path(override)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg) / "sriovctl" / "lab"
    if os.geteuid() == 0:
        return Path("/var/cache/sriovctl/lab")
    return Path.home() / ".cache" / "sriovctl" / "lab"


@dataclass(frozen=True)
class Image:
    kernel: str
    root: Path

    @property
    def rootfs(self) -> Path:
        return self.root / "rootfs"

    @property
    def disk(self) -> Path:
        return self.root / "root.img"

    @property
    def vmlinux(self) -> Path:
        return self.root / "vmlinux"

    @property
    def vmlinuz(self) -> Path:
        return self.root / "vmlinuz"

    @property
    def initrd(self) -> Path:
        return self.root / "initrd.img"

    @property
    def manifest_path(self) -> Path:
        return self.root / "manifest.json"

    @property
    def log(self) -> Path:
        return self.root / "build.log"

    def manifest(self) -> Optional[dict]:
        try:
            return json.loads(self.manifest_path.read_text())
        except (OSError, ValueError):
            return None

    def boot_kernel(self) -> Path:
        return self.vmlinux if self.vmlinux.exists() else self.vmlinuz

    def is_current(self) -> bool:
        m = self.manifest()
        return bool(m and m.get("image_key") == image_key(self.kernel)
                    and self.disk.exists() and self.initrd.exists()
                    and self.boot_kernel().exists())


def image_for(kernel: str = DEFAULT_KERNEL, cache: Optional[Path] = None) -> Image:
    if kernel not in KERNELS:
        raise SriovctlError(f"unknown lab kernel {kernel!r}",
                            fix=f"choose one of: {', '.join(KERNELS)}")
    return Image(kernel, (cache or cache_dir()) / f"kernel-{kernel}")


def rootfs_key(kernel: str) -> str:
    recipe = [RECIPE_VERSION, kernel, rootfs.SUITE, *rootfs.BASE_PACKAGES,
              *rootfs.PYTHON_PACKAGES, rootfs.INITRAMFS_CONF, rootfs.INITRAMFS_MODULES]
    return hashlib.sha256("\n".join(recipe).encode()).hexdigest()[:16]


def image_key(kernel: str) -> str:
    h = hashlib.sha256(f"{rootfs_key(kernel)} {rootfs.STAGE2_VERSION}".encode())
    for name in rootfs.GUEST_FILES:
        h.update(rootfs.guest_file(name))
    h.update("\n".join(rootfs.PRUNE_MODULES).encode())
    return h.hexdigest()[:16]


@dataclass
class BuildResult:
    image: Image
    built: bool  # False: the cached image was current
    seconds: float
    steps: dict[str, float] = field(default_factory=dict)
    installed: list[str] = field(default_factory=list)


def build(kernel: str = DEFAULT_KERNEL, progress: Optional[Progress] = None,
          force: bool = False, install: bool = True) -> BuildResult:
    progress = progress or Progress()
    started = time.monotonic()
    image = image_for(kernel)
    if image.is_current() and not force:
        return BuildResult(image, False, time.monotonic() - started)
    if os.geteuid() != 0:
        raise SriovctlError("building the lab image needs root (debootstrap, chroot, mount)",
                            fix=f"run 'sudo sriovctl lab build --kernel {kernel}' once")
    image.root.mkdir(parents=True, exist_ok=True)
    installed = deps.ensure(progress, image.root, install=install)
    with _locked(image.root / ".lock", progress):
        if image.is_current() and not force:  # another process built it while we waited
            return BuildResult(image, False, time.monotonic() - started, installed=installed)
        steps = _build_locked(image, progress, force)
    return BuildResult(image, True, time.monotonic() - started, steps, installed)


def _build_locked(image: Image, progress: Progress, force: bool) -> dict[str, float]:
    steps: dict[str, float] = {}
    marker = image.rootfs / ".sriovctl-rootfs-key"
    key = rootfs_key(image.kernel)
    have_rootfs = marker.exists() and marker.read_text().strip() == key
    if force or not have_rootfs:
        t = time.monotonic()
        mirror = deps.debian_mirror_uri()
        if not mirror:
            raise SriovctlError("cannot find this machine's Debian mirror in its apt sources",
                                fix="configure a Debian apt source (debian.sources)")
        fresh = image.root / "rootfs.new"
        _discard(fresh)
        rootfs.populate(fresh, mirror, KERNELS[image.kernel], progress, image.log)
        (fresh / ".sriovctl-rootfs-key").write_text(key + "\n")
        _discard(image.rootfs)
        fresh.rename(image.rootfs)
        steps["rootfs"] = time.monotonic() - t
    else:
        progress.say(f"reusing the guest root filesystem in {image.rootfs}")
    t = time.monotonic()
    rootfs.configure(image.rootfs, progress, image.log)
    release, vmlinuz, initrd = rootfs.kernel_files(image.rootfs)
    _install(vmlinuz, image.vmlinuz)
    _install(initrd, image.initrd)
    compression = vmlinux.extract(image.vmlinuz, image.vmlinux)
    if compression is None:  # still bootable, just ~6 s slower
        image.vmlinux.unlink(missing_ok=True)
        progress.say("could not extract vmlinux; the lab will boot the compressed kernel")
    steps["configure"] = time.monotonic() - t
    t = time.monotonic()
    size_mib = _disk_size_mib(image.rootfs)
    tmp = image.root / "root.img.new"
    tmp.unlink(missing_ok=True)
    run_logged(["mke2fs", "-q", "-F", "-t", "ext4", "-L", "labroot", "-O", "^has_journal",
                "-m", "0", "-d", str(image.rootfs), str(tmp), f"{size_mib}M"],
               f"writing the {size_mib} MiB ext4 image", progress, image.log)
    tmp.replace(image.disk)
    steps["disk"] = time.monotonic() - t
    manifest = {
        "kernel": image.kernel, "kernel_release": release, "image_key": image_key(image.kernel),
        "rootfs_key": rootfs_key(image.kernel), "disk_mib": size_mib,
        "vmlinux": compression is not None, "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "step_seconds": {k: round(v, 1) for k, v in steps.items()},
    }
    image.manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    return steps


def _install(source: Path, target: Path) -> None:
    """Copy, then rename: a lab booting meanwhile keeps reading the complete old file."""
    tmp = target.with_name(target.name + ".new")
    shutil.copyfile(source, tmp)
    tmp.replace(target)


def _disk_size_mib(tree: Path) -> int:
    used = 0
    for dirpath, dirnames, filenames in os.walk(tree):
        for name in dirnames + filenames:
            try:
                used += os.lstat(os.path.join(dirpath, name)).st_blocks * 512
            except OSError:
                continue
    used_mib = used // (1024 * 1024)
    return used_mib + used_mib // 4 + 64  # room for inodes, and for what a run writes


def _discard(path: Path) -> None:
    """Remove a (partial) tree, after unmounting whatever an interrupted build left in it."""
    if not path.exists():
        return
    for point in rootfs.mounts_under(path):
        subprocess.run(["umount", "-l", point], check=False)
    if rootfs.mounts_under(path):
        raise SriovctlError(f"{path} still has mounts inside; not removing it",
                            fix=f"unmount them (grep {path} /proc/mounts) and rerun")
    shutil.rmtree(path)


class _locked:
    """One build per kernel at a time; a second caller waits, then finds it current."""

    def __init__(self, path: Path, progress: Progress):
        self.path, self.progress, self.fd = path, progress, -1

    def __enter__(self) -> None:
        self.fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.progress.say("another build of this image is running; waiting for it")
            fcntl.flock(self.fd, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        os.close(self.fd)

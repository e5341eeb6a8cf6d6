"""The steps that turn Debian packages into the lab's guest root filesystem.

Two stages, so that changing the lab's own guest files (init, wrapper) costs a
few seconds instead of a new debootstrap:
  1. populate(): debootstrap + kernel + sriovctl's runtime Python libraries
  2. configure(): our files, pruning, module index (cheap, idempotent)
"""

from __future__ import annotations

import os
import shutil
import subprocess
from importlib import resources
from pathlib import Path

from sriovctl.errors import SriovctlError
from sriovctl.lab.progress import Progress, run_logged

SUITE = "bookworm"
BASE_PACKAGES = (
    "python3", "iproute2", "pciutils", "ethtool", "kmod", "systemd-sysv", "udev",
    "initramfs-tools", "procps", "zstd",
)
# sriovctl's runtime dependencies, as Debian packages (the guest runs the shared
# source tree, so these must import there)
PYTHON_PACKAGES = (
    "python3-click", "python3-yaml", "python3-rich", "python3-pyroute2",
    "python3-oslo.config", "python3-jsonschema", "python3-prometheus-client",
    # the fleet path on a real kernel: the collection run by Debian's ansible-core (2.14,
    # the same minor RHEL 9 ships), while the host's tests use the newest from PyPI
    "ansible-core",
)
PYTHON_IMPORTS = ("import click, yaml, rich, pyroute2, oslo_config, jsonschema, "
                  "prometheus_client, ansible")
# the initrd only has to mount an ext4 root on virtio-blk; ~6 MiB instead of ~40
INITRAMFS_CONF = "MODULES=list\nCOMPRESS=zstd\n"
INITRAMFS_MODULES = "virtio_pci\nvirtio_blk\next4\ncrc32c_generic\n"

# Subtrees of /usr/lib/modules/*/kernel a q35 + igb guest never loads (834 MB -> ~240 MB).
# drivers/i2c stays: igb needs i2c-algo-bit.
PRUNE_MODULES = (
    "sound", "arch/x86/kvm",
    *(f"drivers/{d}" for d in (
        "gpu", "media", "infiniband", "iio", "staging", "comedi", "usb", "hwmon", "hid",
        "isdn", "bluetooth", "mmc", "mtd", "thunderbolt", "video", "w1", "leds", "nfc",
        "input", "scsi", "ata", "md", "target", "misc", "platform", "power", "spi", "mfd",
        "gnss", "firewire", "pcmcia", "fpga", "soundwire", "regulator", "rtc", "extcon",
        "memstick", "atm", "crypto", "accel", "edac",
    )),
    *(f"drivers/net/{d}" for d in (
        "wireless", "can", "usb", "wwan", "ieee802154", "hamradio", "arcnet", "fddi", "plip",
        "slip", "ppp", "appletalk", "wan",
    )),
    *(f"drivers/net/ethernet/intel/{d}" for d in (
        "ice", "i40e", "iavf", "ixgbe", "ixgbevf", "fm10k", "idpf", "igc", "e1000",
    )),
    *(f"fs/{d}" for d in (
        "btrfs", "xfs", "ocfs2", "nfs", "nfsd", "ceph", "cifs", "smb", "gfs2", "f2fs", "jfs",
        "reiserfs", "ubifs", "nilfs2", "ntfs3", "ntfs", "udf", "isofs", "hfs", "hfsplus",
        "bcachefs", "dlm", "orangefs", "afs", "coda", "erofs", "squashfs", "exfat", "ufs",
        "affs", "befs", "bfs", "efs", "minix", "qnx4", "qnx6", "romfs", "sysv", "omfs",
        "hpfs", "cramfs", "freevxfs", "lockd", "zonefs", "jffs2",
    )),
    *(f"net/{d}" for d in (
        "bluetooth", "wireless", "mac80211", "can", "sunrpc", "ceph", "rxrpc", "batman-adv",
        "mac802154", "ieee802154", "nfc", "6lowpan", "appletalk", "atm", "l2tp", "rds", "tipc",
        "sctp", "dccp", "mptcp", "x25", "lapb", "rose", "netrom", "ax25", "smc", "iucv", "qrtr",
        "mpls", "openvswitch", "netfilter", "ipv4/netfilter", "ipv6/netfilter",
        "bridge/netfilter",
    )),
)
PRUNE_SHARE = ("doc", "man", "info")
# initramfs-tools runs a udev coldplug of its own before mounting the root: ~5 s under
# TCG (twice that on a busy host), only to find /dev/vda, which devtmpfs creates anyway
# once virtio_blk (listed in INITRAMFS_MODULES) is loaded. Without these the initrd
# loads its modules, waits for /dev/vda and switches root; udev runs once, in lab-init.
INITRAMFS_UDEV = (
    "usr/share/initramfs-tools/hooks/udev",
    "usr/share/initramfs-tools/scripts/init-top/udev",
    "usr/share/initramfs-tools/scripts/init-bottom/udev",
)
STAGE2_VERSION = "3"  # bump when configure() changes what it produces
# Under systemd, boot-time units (sriovctl-vfs.service) run /usr/local/bin/sriovctl before
# the lab's unit mounts the shares: the source share mounts itself on first access. The
# lab's own init ignores fstab and mounts it as before (an autofs point counts as mounted).
FSTAB = ("/dev/vda / ext4 defaults 0 1\n"
         "src /mnt/src 9p trans=virtio,version=9p2000.L,msize=262144,ro,nofail,"
         "x-systemd.automount 0 0\n")
INIT_PATH = "sbin/sriovctl-lab-init"
WRAPPER_PATH = "usr/local/bin/sriovctl"
UNIT_PATH = "etc/systemd/system/sriovctl-lab.service"
GUEST_FILES = ("lab-init.sh", "sriovctl-wrapper.sh", "sriovctl-lab.service")


def guest_file(name: str) -> bytes:
    return (resources.files("sriovctl.lab") / "guest" / name).read_bytes()


def populate(rootfs: Path, mirror: str, backports_kernel: bool, progress: Progress,
             log: Path) -> None:
    """debootstrap into rootfs (must not exist), then install the kernel and libraries."""
    run_logged(
        ["debootstrap", "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}",
         SUITE, str(rootfs), mirror],
        "debootstrap (the longest step, ~2-3 min)", progress, log,
        fix="check the apt mirror is reachable; the full log names the failing package",
    )
    sources = f"deb {mirror} {SUITE} main\n"
    if backports_kernel:
        sources += f"deb {mirror} {SUITE}-backports main\n"
    (rootfs / "etc/apt/sources.list").write_text(sources)
    (rootfs / "etc/initramfs-tools/conf.d/sriovctl-lab.conf").write_text(INITRAMFS_CONF)
    (rootfs / "etc/initramfs-tools/modules").write_text(INITRAMFS_MODULES)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    apt = ["chroot", str(rootfs), "apt-get", "-y", "--no-install-recommends"]
    with _proc_mounted(rootfs):
        run_logged(["chroot", str(rootfs), "apt-get", "update"], "guest apt-get update",
                   progress, log, env=env)
        run_logged([*apt, "install", *PYTHON_PACKAGES], "installing sriovctl's libraries",
                   progress, log, env=env)
        kernel = ["-t", f"{SUITE}-backports"] if backports_kernel else []
        run_logged([*apt, *kernel, "install", "linux-image-amd64"],
                   "installing the guest kernel", progress, log, env=env)
    check = subprocess.run(["chroot", str(rootfs), "python3", "-c", PYTHON_IMPORTS],
                           capture_output=True, text=True, check=False)
    if check.returncode != 0:
        raise SriovctlError(f"guest Python libraries do not import: {check.stderr.strip()}",
                            fix="rebuild with 'sriovctl lab build --force'")


def configure(rootfs: Path, progress: Progress, log: Path) -> None:
    """Install the lab's guest files and prune what a lab guest never uses."""
    progress.say("configuring the guest root filesystem")
    (rootfs / "etc/hostname").write_text("sriovlab\n")
    (rootfs / "etc/hosts").write_text("127.0.0.1 localhost\n127.0.1.1 sriovlab\n")
    (rootfs / "etc/fstab").write_text(FSTAB)
    for mountpoint in ("mnt/lab", "mnt/src"):
        (rootfs / mountpoint).mkdir(parents=True, exist_ok=True)
    subprocess.run(["chroot", str(rootfs), "passwd", "-d", "root"], capture_output=True,
                   check=False)
    for rel, name in ((INIT_PATH, "lab-init.sh"), (WRAPPER_PATH, "sriovctl-wrapper.sh")):
        target = rootfs / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(guest_file(name))
        target.chmod(0o755)
    unit = rootfs / UNIT_PATH
    unit.write_bytes(guest_file("sriovctl-lab.service"))
    wants = rootfs / "etc/systemd/system/multi-user.target.wants" / unit.name
    wants.parent.mkdir(parents=True, exist_ok=True)
    if not wants.is_symlink():
        wants.symlink_to(f"/{UNIT_PATH}")
    _prune(rootfs)
    for kdir in sorted((rootfs / "usr/lib/modules").iterdir()):
        run_logged(["chroot", str(rootfs), "depmod", "-a", kdir.name],
                   f"depmod {kdir.name}", progress, log)
    if any((rootfs / rel).exists() for rel in INITRAMFS_UDEV):
        for rel in INITRAMFS_UDEV:
            _remove(rootfs / rel)
        with _proc_mounted(rootfs):
            run_logged(["chroot", str(rootfs), "update-initramfs", "-u", "-k", "all"],
                       "rebuilding the initrd without udev", progress, log)


def _prune(rootfs: Path) -> None:
    for pattern in ("var/cache/apt/*.bin", "var/cache/apt/archives/*.deb",
                    "var/lib/apt/lists/*_*"):
        for path in rootfs.glob(pattern):
            path.unlink()
    for sub in PRUNE_SHARE:
        for path in (rootfs / "usr/share" / sub).glob("*"):
            _remove(path)
    for path in (rootfs / "usr/share/locale").glob("*"):
        if path.name != "locale.alias":
            _remove(path)
    for kdir in (rootfs / "usr/lib/modules").glob("*/kernel"):
        for rel in PRUNE_MODULES:
            _remove(kdir / rel)
        ethernet = kdir / "drivers/net/ethernet"
        for vendor in ethernet.glob("*"):
            if vendor.name != "intel":
                _remove(vendor)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def kernel_files(rootfs: Path) -> tuple[str, Path, Path]:
    """(kernel release, vmlinuz, initrd) of the newest kernel installed in rootfs."""
    kernels = sorted((rootfs / "boot").glob("vmlinuz-*"), key=lambda p: _version_key(p.name))
    if not kernels:
        raise SriovctlError("no kernel in the guest root filesystem",
                            fix="rebuild with 'sriovctl lab build --force'")
    release = kernels[-1].name[len("vmlinuz-"):]
    return release, kernels[-1], rootfs / "boot" / f"initrd.img-{release}"


def _version_key(name: str) -> list:
    return [int(p) if p.isdigit() else p for p in name.replace("-", ".").split(".")]


class _proc_mounted:
    """/proc inside the chroot while apt runs (kernel postinst scripts want it)."""

    def __init__(self, rootfs: Path):
        self.proc = rootfs / "proc"

    def __enter__(self) -> None:
        subprocess.run(["mount", "-t", "proc", "proc", str(self.proc)], check=True)

    def __exit__(self, *exc: object) -> None:
        subprocess.run(["umount", "-l", str(self.proc)], check=False)


def mounts_under(path: Path, mounts_file: Path = Path("/proc/mounts")) -> list[str]:
    """Mount points inside path (left behind by an interrupted build)."""
    prefix = str(path.resolve()) + "/"
    found = []
    for line in mounts_file.read_text().splitlines():
        point = line.split()[1].replace("\\040", " ")
        if point.startswith(prefix):
            found.append(point)
    return sorted(found, reverse=True)

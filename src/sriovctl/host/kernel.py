"""The kernel command line, understood by meaning rather than by substring.

`intel_iommu=on,sm_on` turns the Intel IOMMU on; `intel_iommu=sm_on` alone does not (it only
asks for scalable mode); `intel_iommu=off` is off even though it contains "on"; a later
occurrence of a parameter overrides an earlier one, as the kernel's handlers run in order.
"""

from __future__ import annotations

from dataclasses import dataclass

_TRUE = {"1", "y", "yes", "on", "true"}
_FALSE = {"0", "n", "no", "off", "false"}


def split_cmdline(cmdline: str) -> list[tuple[str, str | None]]:
    """Split like the kernel's next_arg(): whitespace-separated, double quotes group."""
    args: list[tuple[str, str | None]] = []
    token, quoted, buf = [], False, cmdline.strip()
    for ch in buf + " ":
        if ch == '"':
            quoted = not quoted
            continue
        if ch.isspace() and not quoted:
            if token:
                word = "".join(token)
                key, eq, val = word.partition("=")
                args.append((key.replace("-", "_") if "." not in key else key, val if eq else None))
                token = []
            continue
        token.append(ch)
    return args


@dataclass(frozen=True)
class CmdlineIommu:
    """What the command line says about the IOMMU. None means "not mentioned"."""

    intel: bool | None = None  # intel_iommu=on/off
    intel_scalable: bool | None = None  # sm_on / sm_off
    amd_off: bool | None = None  # amd_iommu=off
    iommu: str | None = None  # iommu=pt|nopt|off|force|soft|...
    passthrough: bool | None = None  # iommu=pt or iommu.passthrough=1
    arm_passthrough: bool | None = None  # iommu.passthrough=
    raw: tuple[str, ...] = ()  # the IOMMU-related words, verbatim

    @property
    def disabled(self) -> bool:
        return self.intel is False or self.iommu == "off" or bool(self.amd_off)

    def to_dict(self) -> dict:
        return {
            "intel_iommu": None if self.intel is None else ("on" if self.intel else "off"),
            "intel_scalable_mode": self.intel_scalable,
            "amd_iommu_off": self.amd_off,
            "iommu": self.iommu,
            "passthrough": self.passthrough,
            "words": list(self.raw),
        }


def parse_iommu_args(cmdline: str | None) -> CmdlineIommu:
    intel = scalable = amd_off = passthrough = arm_pt = None
    iommu = None
    raw: list[str] = []
    for key, val in split_cmdline(cmdline or ""):
        if key == "intel_iommu":
            raw.append(f"{key}={val}")
            for opt in (val or "").split(","):
                opt = opt.strip()
                if opt == "on":
                    intel = True
                elif opt == "off":
                    intel = False
                elif opt == "sm_on":
                    scalable = True
                elif opt == "sm_off":
                    scalable = False
        elif key == "amd_iommu":
            raw.append(f"{key}={val}")
            for opt in (val or "").split(","):
                if opt.strip() == "off":
                    amd_off = True
                elif opt.strip() in ("on", "force_enable"):
                    amd_off = False
        elif key == "iommu":
            raw.append(f"{key}={val}")
            for opt in (val or "").split(","):
                opt = opt.strip()
                if opt == "pt":
                    passthrough = True
                    iommu = "pt"
                elif opt == "nopt":
                    passthrough = False
                    iommu = "nopt"
                elif opt:
                    iommu = opt
        elif key == "iommu.passthrough":
            raw.append(f"{key}={val}")
            v = (val or "").strip().lower()
            if v in _TRUE:
                arm_pt = passthrough = True
            elif v in _FALSE:
                arm_pt = passthrough = False
    return CmdlineIommu(intel, scalable, amd_off, iommu, passthrough, arm_pt, tuple(raw))


def cpu_flags(cpuinfo: str) -> tuple[str | None, str | None, set[str]]:
    """(vendor_id, model name, flags) of the first CPU in /proc/cpuinfo."""
    vendor = model = None
    flags: set[str] = set()
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "vendor_id" and vendor is None:
            vendor = value.strip()
        elif key == "model name" and model is None:
            model = value.strip()
        elif key in ("flags", "Features") and not flags:
            flags = set(value.split())
        elif not line.strip() and flags:
            break
    return vendor, model, flags

"""`sriovctl kernel iommu --enable`: the IOMMU kernel arguments, edited by meaning.

By meaning, because substring matching is how tools loop: `intel_iommu=on,sm_on` *is* on
(the SR-IOV operator's #359 reboot loop), `intel_iommu=off` contains "on", a later word
overrides an earlier one. The configured command line and /proc/cmdline are both parsed
with `sriovctl.host.kernel.parse_iommu_args`, so the tool says "reboot needed" instead of
editing again, and says nothing at all once the running kernel has the arguments.

Where the arguments live, in this order: grubby (RHEL, Fedora: it edits the BLS entries
and the defaults for new kernels); BLS entries in /boot/loader/entries without grubby
(plus /etc/kernel/cmdline when present); /etc/default/grub, after which the GRUB config
must be regenerated (update-grub or grub2-mkconfig: printed, not run).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Optional

from sriovctl.changes.commands import RunCommand, quoted
from sriovctl.changes.files import WriteFile
from sriovctl.changes.step import Plan
from sriovctl.errors import InputError
from sriovctl.host.kernel import parse_iommu_args, split_cmdline
from sriovctl.vfs.context import Env

DEFAULT_GRUB = "/etc/default/grub"
BLS_DIR = "/boot/loader/entries"
KERNEL_CMDLINE = "/etc/kernel/cmdline"
GRUBBY = ("/usr/sbin/grubby", "/sbin/grubby", "/usr/bin/grubby")
WANTED = {
    "intel": (("intel_iommu", "on"), ("iommu", "pt")),
    "amd": (("iommu", "pt"),),  # the AMD IOMMU is on by default; amd_iommu=on is not a flag
    "arm": (("iommu.passthrough", "on"),),  # iommu=pt is x86-only
}


def vendor_of(cpu_vendor: Optional[str], arch: Optional[str]) -> str:
    if arch and arch.startswith(("aarch64", "arm")):
        return "arm"
    if cpu_vendor in ("AuthenticAMD", "HygonGenuine"):
        return "amd"
    if cpu_vendor == "GenuineIntel":
        return "intel"
    raise InputError(f"cannot tell the IOMMU flavour of this CPU ({cpu_vendor or 'unknown'}, "
                     f"{arch or 'unknown arch'})", fix="pass --vendor intel|amd|arm")


def satisfied(cmdline: str, vendor: str) -> bool:
    c = parse_iommu_args(cmdline)
    if vendor == "intel":
        return c.intel is True and c.passthrough is True
    if vendor == "amd":
        return not c.amd_off and c.iommu not in ("off", "nopt") and c.passthrough is True
    return c.arm_passthrough is True


def missing_words(cmdline: str, vendor: str) -> list[str]:
    return [] if satisfied(cmdline, vendor) else [f"{k}={v}" for k, v in WANTED[vendor]]


def edit_cmdline(cmdline: str, vendor: str) -> str:
    """The command line with the IOMMU on and in passthrough; other words kept verbatim."""
    words = cmdline.split()
    for key, value in WANTED[vendor]:
        positions = [i for i, w in enumerate(words) if _key(w) == key]
        if key == "intel_iommu" and positions:
            opts = [o for o in words[positions[-1]].partition("=")[2].split(",")
                    if o and o not in ("on", "off")]
            words[positions[-1]] = f"{key}=" + ",".join(["on", *opts])
        elif positions:
            words[positions[-1]] = f"{key}={value}"  # the last one wins in the kernel
        else:
            words.append(f"{key}={value}")
    new = " ".join(words)
    if not satisfied(new, vendor):
        raise InputError(f"cannot enable the IOMMU by editing {cmdline!r} safely",
                         fix="edit the kernel command line by hand")
    return new


def _key(word: str) -> str:
    key = word.partition("=")[0]
    return key.replace("-", "_") if "." not in key else key


@dataclass
class Bootloader:
    kind: str  # grubby | bls | grub
    current: list[str]  # the configured command lines (one per entry)
    regenerate: Optional[list[str]] = None


def find_grubby(env: Env) -> Optional[str]:
    """grubby's path on this root, if it has one (RHEL and Fedora do)."""
    root = env.reader()
    return next((g for g in GRUBBY if root.exists(g)), None)


def grubby_cmdlines(env: Env, grubby: str) -> list[str]:
    """The configured command line of every boot entry, as grubby reports it."""
    info = env.commands.run([grubby, "--info=ALL"], 30)
    return re.findall(r'^args="?([^"\n]*)"?$', info.out, re.M)


def grubby_add_args(env: Env, grubby: str, words: list[str]) -> RunCommand:
    """One step adding `words` to every boot entry (and new kernels); undo removes them."""
    return RunCommand(env.commands, [grubby, "--update-kernel=ALL", f"--args={' '.join(words)}"],
                      why="every boot entry and new kernels",
                      undo_argv=[grubby, "--update-kernel=ALL",
                                 f"--remove-args={' '.join(words)}"])


def plan_iommu(env: Env, vendor: str, running: Optional[str],
               use_grubby: Optional[bool] = None) -> Plan:
    root = env.reader()
    plan = Plan("kernel IOMMU arguments")
    want = " ".join(f"{k}={v}" for k, v in WANTED[vendor])
    active = running is not None and satisfied(running, vendor)
    # grubby edits the machine it runs on: only for the live root
    use_grubby = root.is_live if use_grubby is None else use_grubby
    grubby = find_grubby(env) if use_grubby else None
    if grubby:
        current = grubby_cmdlines(env, grubby)
        todo = sorted({w for c in current for w in missing_words(c, vendor)})
        if todo:
            plan.add(grubby_add_args(env, grubby, todo))
    else:
        entries = [f"{BLS_DIR}/{n}" for n in root.listdir(BLS_DIR) if n.endswith(".conf")]
        for path in entries + [KERNEL_CMDLINE]:
            _plan_file_edit(env, plan, path, vendor)
        if env.files.read(DEFAULT_GRUB) is not None:
            _plan_grub_edit(env, plan, vendor, regenerate=not entries)
        elif not entries:
            raise InputError("found no boot loader configuration to edit (no grubby, no "
                             f"{BLS_DIR}, no {DEFAULT_GRUB})",
                             fix=f"add {want} to the kernel command line by hand")
    if not plan:
        plan.notes.append(f"the boot configuration already has {want}" + (
            " and the running kernel uses it" if active else
            "; the running kernel does not: reboot to activate it"))
    elif active:
        plan.notes.append("the running kernel already has these arguments (given by hand at "
                          "boot?); now they are configured too")
    else:
        plan.notes.append(f"reboot to activate {want}")
    return plan


def _plan_file_edit(env: Env, plan: Plan, path: str, vendor: str) -> None:
    old = env.files.read(path)
    if old is None:
        return
    text = old.content.decode()
    lines = text.splitlines(keepends=True)
    for i, line in enumerate(lines):
        body = line.rstrip("\n")
        if path.endswith(".conf") and not body.startswith("options"):
            continue
        prefix = "options " if path.endswith(".conf") else ""
        args = body[len(prefix):] if prefix else body
        if "$" in args:
            raise InputError(f"{path} uses a variable ({args.strip()}); edit it with grubby",
                             fix="install grubby, or edit the command line by hand")
        if not satisfied(args, vendor):
            lines[i] = prefix + edit_cmdline(args.strip(), vendor) + "\n"
        break
    new = "".join(lines)
    if new != text:
        plan.add(WriteFile(env.files, path, new, old.mode, why="IOMMU arguments"))


_GRUB_LINE = re.compile(r'^(GRUB_CMDLINE_LINUX(?:_DEFAULT)?)=(.*)$')


def grub_vars(text: str) -> dict[str, tuple[int, str]]:
    """GRUB_CMDLINE_LINUX and _DEFAULT in /etc/default/grub: name -> (line index, the words
    as the shell reads them). GRUB joins both into every entry's command line."""
    found = {}
    for i, line in enumerate(text.splitlines()):
        m = _GRUB_LINE.match(line.strip())
        if m:
            try:
                words = shlex.split(m.group(2))
            except ValueError:
                raise InputError(f"{DEFAULT_GRUB}: cannot parse {m.group(1)}",
                                 fix="fix its quoting") from None
            found[m.group(1)] = (i, " ".join(words))
    return found


def set_grub_var(text: str, found: dict[str, tuple[int, str]], key: str, value: str) -> str:
    """The file with `key` set to `value`, in place, or appended when it has no such line."""
    lines = text.splitlines(keepends=True)
    line = f'{key}="{value}"\n'
    if key in found:
        lines[found[key][0]] = line
    else:
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        lines.append(line)
    return "".join(lines)


def _plan_grub_edit(env: Env, plan: Plan, vendor: str, regenerate: bool) -> None:
    old = env.files.read(DEFAULT_GRUB)
    assert old is not None
    text = old.content.decode()
    found = grub_vars(text)
    combined = " ".join(v for _, v in found.values())
    if satisfied(combined, vendor):
        return
    # edit the variable that already speaks of the IOMMU, else the one the guide edits
    key = next((k for k, (_, v) in found.items() if _mentions_iommu(v)), None)
    key = key or ("GRUB_CMDLINE_LINUX_DEFAULT" if "GRUB_CMDLINE_LINUX_DEFAULT" in found
                  else "GRUB_CMDLINE_LINUX")
    value = found[key][1] if key in found else ""
    other = " ".join(v for k, (_, v) in found.items() if k != key)
    # edit by meaning of the whole line the kernel gets, but write only into `key`
    new_value = edit_cmdline(value, vendor) if not satisfied(f"{other} {value}", vendor) \
        else value
    plan.add(WriteFile(env.files, DEFAULT_GRUB, set_grub_var(text, found, key, new_value),
                       old.mode, why="IOMMU arguments for GRUB"))
    if regenerate:
        cmd = regenerate_command(env)
        plan.notes.append(f"then regenerate the GRUB configuration: {quoted(cmd)}")


def _mentions_iommu(value: str) -> bool:
    return any(k in ("intel_iommu", "iommu", "amd_iommu", "iommu.passthrough")
               for k, _ in split_cmdline(value))


def regenerate_command(env: Env) -> list[str]:
    root = env.reader()
    if root.exists("/usr/sbin/update-grub") or root.exists("/sbin/update-grub"):
        return ["update-grub"]
    if root.exists("/boot/grub2/grub.cfg") or not root.exists("/boot/grub/grub.cfg"):
        return ["grub2-mkconfig", "-o", "/boot/grub2/grub.cfg"]
    return ["grub-mkconfig", "-o", "/boot/grub/grub.cfg"]

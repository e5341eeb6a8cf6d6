"""The kernel arguments a site asks for: the IOMMU by meaning (sriovctl.vfs.kernel_args),
and any other words (pci=realloc, hugepages=...) by key and value.

A word is there when the *last* occurrence of its key (the one the kernel uses) has the
value, or, for a comma list, every wanted option: `intel_iommu=on,sm_on` has `intel_iommu=on`.
What is missing from the boot configuration is added there; a reboot makes it active, so
the plan says "reboot needed" and never edits twice for an argument already configured.
"""

from __future__ import annotations

from typing import Optional

from sriovctl.changes.commands import quoted
from sriovctl.changes.files import WriteFile
from sriovctl.changes.step import Plan
from sriovctl.errors import InputError
from sriovctl.host.kernel import split_cmdline
from sriovctl.host.model import Host
from sriovctl.vfs.context import Env
from sriovctl.vfs.kernel_args import (
    DEFAULT_GRUB,
    find_grubby,
    grub_vars,
    grubby_add_args,
    grubby_cmdlines,
    plan_iommu,
    regenerate_command,
    satisfied,
    set_grub_var,
    vendor_of,
)


def has_word(cmdline: Optional[str], word: str) -> bool:
    key, _, value = word.partition("=")
    last = None
    for k, v in split_cmdline(cmdline or ""):
        if k == split_cmdline(key)[0][0]:
            last = (k, v)
    if last is None:
        return False
    if not value:
        return True
    return set(value.split(",")) <= set((last[1] or "").split(","))


def plan_kernel(env: Env, host: Host, iommu: bool, words: tuple[str, ...]) -> Plan:
    plan = Plan("kernel arguments")
    if iommu:
        vendor = vendor_of(host.cpu.vendor, host.cpu.arch)
        try:
            plan.extend(plan_iommu(env, vendor, host.cmdline))
        except InputError as e:
            if not (host.cmdline and satisfied(host.cmdline, vendor)):
                raise
            # the running kernel has them and no boot configuration is visible (an image
            # booted with a fixed command line, a snapshot without /etc and /boot)
            plan.notes.append(f"the running kernel has the IOMMU arguments; {e.message}")
    if words:
        # both edits may rewrite /etc/default/grub: the second starts from the first's text
        grub = next((s for s in plan.steps if isinstance(s, WriteFile)
                     and s.path == DEFAULT_GRUB), None)
        more = _plan_words(env, host, words, grub.content if grub else None)
        for step in more.steps:
            if grub is not None and isinstance(step, WriteFile) and step.path == DEFAULT_GRUB:
                grub.content = step.content
            else:
                plan.add(step)
        plan.notes += [n for n in more.notes if n not in plan.notes]
    return plan


def _plan_words(env: Env, host: Host, words: tuple[str, ...],
                grub_text: Optional[str] = None) -> Plan:
    plan = Plan("kernel arguments")
    root = env.reader()
    grubby = find_grubby(env) if root.is_live else None
    if grubby:
        entries = grubby_cmdlines(env, grubby)
        todo = [w for w in words if not all(has_word(c, w) for c in entries)]
        if todo:
            plan.add(grubby_add_args(env, grubby, todo))
    else:
        old = env.files.read(DEFAULT_GRUB)
        missing = [w for w in words if not has_word(host.cmdline, w)]
        if old is None:
            if missing:
                raise InputError(f"the kernel lacks {' '.join(missing)} and there is no "
                                 f"{DEFAULT_GRUB} (nor grubby) to add it to",
                                 fix="add the arguments to the boot loader by hand")
            return plan
        text = grub_text if grub_text is not None else old.content.decode()
        new, replaced = _edit_grub(text, words)
        if new != text:
            plan.add(WriteFile(env.files, DEFAULT_GRUB, new, old.mode, why="kernel arguments"))
            plan.notes += [f"{DEFAULT_GRUB}: {old_word} is replaced by {word} (one value per "
                           "key; write every option you want, e.g. pci=noaer,realloc)"
                           for old_word, word in replaced]
            plan.notes.append("then regenerate the GRUB configuration: "
                              f"{quoted(regenerate_command(env))}")
    active = [w for w in words if has_word(host.cmdline, w)]
    if len(active) < len(words):
        plan.notes.append("reboot to activate " + " ".join(w for w in words if w not in active))
    return plan


def _edit_grub(text: str, words: tuple[str, ...]) -> tuple[str, list[tuple[str, str]]]:
    """The file with `words` in GRUB_CMDLINE_LINUX, and the (old, new) words it replaced:
    a different value of the same key gives way, and the plan says so."""
    found = grub_vars(text)
    current = found.get("GRUB_CMDLINE_LINUX", (None, ""))[1]
    # GRUB joins GRUB_CMDLINE_LINUX and _DEFAULT: a word in either is configured
    both = " ".join(v for _, v in found.values())
    args, replaced = current, []
    for word in words:
        if has_word(args, word) or has_word(both, word):
            continue
        key = word.partition("=")[0]
        kept = [w for w in args.split() if w.partition("=")[0] != key]
        replaced += [(w, word) for w in args.split() if w not in kept]
        args = " ".join([*kept, word])
    if args == current:
        return text, []
    return set_grub_var(text, found, "GRUB_CMDLINE_LINUX", args), replaced

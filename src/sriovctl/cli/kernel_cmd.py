"""`sriovctl kernel iommu --enable`: IOMMU kernel arguments, by meaning, never twice."""

from __future__ import annotations

from typing import Optional

import click

from sriovctl.cli.common import root_option


@click.group("kernel")
def kernel() -> None:
    """Kernel command line settings SR-IOV passthrough needs."""


@kernel.command("iommu")
@click.option("--enable", is_flag=True, required=True,
              help="Add the IOMMU arguments (intel_iommu=on iommu=pt, or the AMD/ARM ones).")
@click.option("--vendor", type=click.Choice(["intel", "amd", "arm"]), default=None,
              help="Override the CPU detection.")
@click.option("--dry-run", is_flag=True, help="Print the edits; change nothing.")
@root_option
def iommu(enable: bool, vendor: Optional[str], dry_run: bool, root: str) -> int:
    """Configure the IOMMU arguments in the boot loader, comparing with /proc/cmdline.

    Uses grubby where present, else BLS entries, else /etc/default/grub (then prints the
    command regenerating GRUB's configuration). With --root, edits the boot configuration
    of that tree (an image, a chroot) instead of this machine's.
    """
    from sriovctl.changes.executor import execute
    from sriovctl.changes.files import WriteFile
    from sriovctl.vfs import context
    from sriovctl.vfs.kernel_args import plan_iommu, vendor_of

    env = context.make_env(root, lambda t: click.echo(t, err=True), files_root=root)
    host = env.reader()
    running = host.read_text("/proc/cmdline")
    if vendor is None:
        from sriovctl.host.kernel import cpu_flags

        cpu_vendor, _, flags = cpu_flags(host.read_text("/proc/cpuinfo") or "")
        arch = "aarch64" if "asimd" in flags else None
        vendor = vendor_of(cpu_vendor, arch)
    plan = plan_iommu(env, vendor, running)
    if dry_run:
        for step in plan.steps:
            click.echo(f"would: {step.describe()}")
            if isinstance(step, WriteFile):
                before = env.files.read(step.path)
                _diff(before.content.decode() if before else "", step.content, step.path)
    elif plan:
        execute(plan, env.say, env.guard)
        for line in plan.describe():
            click.echo(f"done: {line}")
    for note in plan.notes:
        click.echo(note)
    return 0


def _diff(old: str, new: str, path: str) -> None:
    import difflib

    for line in difflib.unified_diff(old.splitlines(), new.splitlines(), path, path,
                                     lineterm="", n=0):
        click.echo(f"    {line}")

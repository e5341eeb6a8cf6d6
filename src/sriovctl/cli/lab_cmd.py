"""`sriovctl lab`: a real kernel with QEMU's emulated SR-IOV NIC (igb, 82576), under TCG."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import click

from sriovctl.cli.output import emit_list, emit_record, output_options

KERNEL_CHOICE = click.Choice(["6.1", "6.12"])


def _topology_names() -> list[str]:
    from sriovctl.lab.topology import TOPOLOGIES

    return list(TOPOLOGIES)


def machine_options(fn):
    """Options shared by run, shell and demo: which machine to boot."""
    fn = click.option("--accel", type=click.Choice(["auto", "tcg", "kvm"]), default="auto",
                      show_default=True, help="QEMU accelerator; auto falls back to TCG.")(fn)
    fn = click.option("--append", default="", metavar="ARGS",
                      help="Extra kernel arguments.")(fn)
    fn = click.option("--kernel", type=KERNEL_CHOICE, default="6.1", show_default=True,
                      help="Guest kernel: 6.1 (bookworm) or 6.12 (bookworm-backports).")(fn)
    fn = click.option("--nics", type=click.IntRange(1, 8), default=None,
                      help="Number of igb PFs (default: the topology's).")(fn)
    fn = click.option("--topology", type=click.Choice(_topology_names()), default="default",
                      show_default=True, help="Machine layout (see 'sriovctl lab topologies').")(fn)
    return fn


def _spec(topology: str, nics: Optional[int], kernel: str, append: str, init: str = "lab"):
    from sriovctl.lab.machine import MachineSpec, source_tree

    return MachineSpec(topology=topology, nics=nics, kernel=kernel, append=append,
                       source=source_tree(), init=init)


@click.group("lab")
def lab() -> None:
    """Boot a real Linux kernel with an emulated SR-IOV NIC (no hardware needed)."""


@lab.command("build")
@click.option("--kernel", type=click.Choice(["6.1", "6.12", "all"]), default="6.1",
              show_default=True, help="Guest kernel to build the image for.")
@click.option("--force", is_flag=True, help="Rebuild even if the cached image is current.")
@click.option("--no-install", is_flag=True,
              help="Do not install missing host tools; say what is missing instead.")
@output_options()
def build(kernel: str, force: bool, no_install: bool, fmt: str, columns: tuple) -> None:
    """Install the lab's host tools if missing and build (or reuse) the guest image."""
    from sriovctl.lab import image
    from sriovctl.lab.progress import Progress

    progress = Progress()
    rows = []
    for k in (list(image.KERNELS) if kernel == "all" else [kernel]):
        result = image.build(k, progress=progress, force=force, install=not no_install)
        manifest = result.image.manifest() or {}
        if result.built:
            progress.say(f"image for kernel {k} built in {result.seconds:.1f} s")
        else:
            progress.say(f"image for kernel {k} is current (built {manifest.get('built_at')}); "
                         "nothing to do")
        rows.append({
            "Kernel": k, "Release": manifest.get("kernel_release"),
            "Built": result.built, "Seconds": round(result.seconds, 1),
            "Installed": ", ".join(result.installed) or None,
            "Disk MiB": manifest.get("disk_mib"), "Directory": str(result.image.root),
        })
    if len(rows) == 1:
        emit_record(rows[0], fmt, columns)
    else:
        emit_list(list(rows[0]), rows, fmt, columns)


@lab.command("topologies")
@output_options()
def topologies(fmt: str, columns: tuple) -> None:
    """List the machine layouts the lab can boot."""
    from sriovctl.lab.topology import TOPOLOGIES

    rows = [{"Name": t.name, "PFs": t.nics, "VT-d": t.iommu, "Description": t.summary}
            for t in TOPOLOGIES.values()]
    emit_list(["Name", "PFs", "VT-d", "Description"], rows, fmt, columns)


@lab.command("run", context_settings={"ignore_unknown_options": True})
@machine_options
@click.option("--timeout", type=click.FloatRange(10), default=600.0, show_default=True,
              help="Seconds for the whole run, boot included.")
@click.option("--script", "script_file", type=click.Path(exists=True, dir_okay=False,
              path_type=Path), help="Run this bash script instead of COMMAND.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="Copy what the command wrote in its working directory here.")
@click.option("-q", "--quiet", is_flag=True, help="No progress lines on stderr.")
@click.option("--console", is_flag=True, help="Also show the guest's serial console (stderr).")
@click.option("--systemd", is_flag=True,
              help="Boot systemd (~6 s more) so COMMAND can use systemctl and real units.")
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def run(ctx: click.Context, topology: str, nics: Optional[int], kernel: str, append: str,
        accel: str, timeout: float, script_file: Optional[Path], out: Optional[Path],
        quiet: bool, console: bool, systemd: bool, command: tuple) -> None:
    """Boot the lab, run COMMAND as root in the guest, exit with its status.

    As with ssh, COMMAND's words are joined and run by bash in the guest, so
    'echo 7 > /sys/...' works when quoted. `sriovctl` there runs this source tree.
    """
    from sriovctl.errors import InputError
    from sriovctl.lab import runner
    from sriovctl.lab.progress import Progress

    if bool(command) == bool(script_file):
        raise InputError("give either a COMMAND (after --) or --script FILE",
                         fix="e.g. sriovctl lab run -- sriovctl inspect")
    script = script_file.read_text() if script_file else " ".join(command) + "\n"
    try:
        result = runner.run(script, _spec(topology, nics, kernel, append,
                                          "systemd" if systemd else "lab"),
                            timeout=timeout, accel=accel,
                            progress=Progress(quiet=quiet, console=console))
    except runner.LabFailed as failure:
        click.echo("\n".join(["--- guest console (last lines) ---", *failure.console_tail]),
                   err=True)
        raise
    if out is not None:
        _copy_results(result.run_dir, out)
    ctx.exit(result.rc)


def _copy_results(run_dir: Path, out: Path) -> None:
    import shutil

    shutil.copytree(run_dir, out, dirs_exist_ok=True)


@lab.command("shell")
@machine_options
def shell(topology: str, nics: Optional[int], kernel: str, append: str, accel: str) -> None:
    """An interactive root shell in the lab guest (serial console); 'exit' powers off."""
    from sriovctl.lab import runner

    if not sys.stdin.isatty():
        click.echo("note: stdin is not a terminal; the shell reads it as typed input", err=True)
    runner.shell(_spec(topology, nics, kernel, append), accel=accel)


@lab.command("demo")
@machine_options
@click.option("--timeout", type=click.FloatRange(10), default=900.0, show_default=True)
@click.option("--list", "list_steps", is_flag=True, help="Show the steps without booting.")
@click.pass_context
def demo(ctx: click.Context, topology: str, nics: Optional[int], kernel: str, append: str,
         accel: str, timeout: float, list_steps: bool) -> None:
    """The guide's whole SR-IOV procedure on a real kernel, narrated step by step."""
    from sriovctl.lab import demo as lab_demo
    from sriovctl.lab import runner
    from sriovctl.lab.progress import Progress

    steps = lab_demo.steps()
    if list_steps:
        for number, step in enumerate(steps, 1):
            click.echo(f"{number:2}. {step.title}")
            for line in step.commands:
                click.echo(f"      $ {line}")
        return
    try:
        result = runner.run(lab_demo.script(steps), _spec(topology, nics, kernel, append),
                            timeout=timeout, accel=accel, progress=Progress())
    except runner.LabFailed as failure:
        click.echo("\n".join(["--- guest console (last lines) ---", *failure.console_tail]),
                   err=True)
        raise
    ctx.exit(result.rc)

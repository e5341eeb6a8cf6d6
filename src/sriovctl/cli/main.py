"""Entry point. Subcommands are imported only when invoked, so `--version` stays fast."""

from __future__ import annotations

import importlib
import sys

import click

from sriovctl import __version__
from sriovctl.errors import SriovctlError

# name -> "module:attribute". Each command lives in its own module under sriovctl.cli;
# adding a command is one line here.
COMMANDS = {
    "inspect": "sriovctl.cli.inspect_cmd:inspect",
    "check": "sriovctl.cli.check_cmd:check",
    "snapshot": "sriovctl.cli.snapshot_cmd:snapshot",
    "lab": "sriovctl.cli.lab_cmd:lab",
    "openstack": "sriovctl.cli.openstack_cmd:openstack",
    "exporter": "sriovctl.cli.exporter_cmd:exporter",
    "top": "sriovctl.cli.top_cmd:top",
    "vfs": "sriovctl.cli.vfs_cmd:vfs",
    "kernel": "sriovctl.cli.kernel_cmd:kernel",
    "fdb": "sriovctl.cli.fdb_cmd:fdb",
    "report": "sriovctl.cli.report_cmd:report",
    "plan": "sriovctl.cli.site_cmd:plan",
    "apply": "sriovctl.cli.site_cmd:apply",
    "simulate": "sriovctl.cli.simulate_cmd:simulate",
    "explain": "sriovctl.cli.explain_cmd:explain",
    "verify": "sriovctl.cli.verify_cmd:verify",
}

HELP = {
    "inspect": "Show PFs, their VFs, netdevs, drivers, IOMMU groups and NUMA nodes.",
    "check": "Decide whether this host is ready for SR-IOV passthrough, and why not.",
    "snapshot": "Capture the files sriovctl reads into a tarball for --root elsewhere.",
    "lab": "Boot a real kernel with an emulated SR-IOV NIC (QEMU igb) to try or test.",
    "openstack": "Lint, render and apply nova/neutron SR-IOV config; show the guest XML.",
    "exporter": "Serve per-VF counters and settings (spoofchk, trust, VLAN) for Prometheus.",
    "top": "Watch per-VF packet and byte rates live, sorted by the busiest.",
    "vfs": "Create, resize, program, persist and bind VFs safely (rollback on failure).",
    "kernel": "Enable the IOMMU kernel arguments by meaning, idempotently.",
    "fdb": "Add, delete and show a PF's FDB entries over netlink.",
    "report": "Merge many hosts' inventories and checks: VFs per physnet, hosts not ready.",
    "plan": "Show the ordered changes that make this host match a site spec (site.yaml).",
    "apply": "Make this host match a site spec; verify by reading back, roll back on failure.",
    "simulate": "Run `openstack` steps against nova/neutron modelled on your configs and hosts.",
    "explain": "Explain an SR-IOV error message: cause, evidence from the host, fix.",
    "verify": "Smoke-test SR-IOV on a live cloud (agents, network, bound ports); cleans up.",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(COMMANDS) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        return getattr(importlib.import_module(module_name), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, HELP.get(name, "")) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sriovctl")
@click.option("--debug", is_flag=True, help="Show a traceback for internal errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """sriovctl: make SR-IOV work on OpenStack/KVM hosts, end to end."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def main(argv: list[str] | None = None) -> int:
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        rv = cli.main(args=argv, prog_name="sriovctl", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except click.exceptions.Exit as e:
        return e.exit_code
    except click.ClickException as e:
        e.show()
        return e.exit_code
    except SriovctlError as e:
        click.echo(f"error: {e.one_line()}", err=True)
        return e.exit_code
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    except BrokenPipeError:
        return 1
    except Exception as e:  # a bug: one line, never a traceback unless asked
        if debug:
            raise
        click.echo(
            f"internal error: {type(e).__name__}: {e} (rerun with --debug and report it)", err=True
        )
        return 1
    return rv if isinstance(rv, int) else 0


if __name__ == "__main__":
    sys.exit(main())

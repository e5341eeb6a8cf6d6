"""`sriovctl snapshot`: capture what sriovctl reads, for `--root` on another machine."""

from __future__ import annotations

import click


@click.command("snapshot")
@click.option("-o", "--output", required=True, metavar="FILE.tar.gz",
              help="Where to write the snapshot (written atomically).")
@click.option("--root", default="/", show_default=True, metavar="DIR",
              help="Capture from this root instead of the live host (for tests).")
def snapshot(output: str, root: str) -> int:
    """Capture the sysfs/procfs files, links and config space sriovctl reads into a tarball.

    Contains no secrets: hardware attributes, kernel command line, interface names/MACs and
    routes only. Analyse it elsewhere with `sriovctl check --root FILE.tar.gz`.
    """
    from sriovctl.host.snapshot import capture

    if not output.endswith((".tar.gz", ".tgz")):
        raise click.BadParameter("the snapshot must be a .tar.gz file", param_hint="-o")
    try:
        info = capture(output, root)
    except OSError as e:
        raise click.ClickException(f"cannot write {output}: {e.strerror}") from None
    c = info["counts"]
    click.echo(
        f"wrote {output}: {c['files']} files, {c['links']} links, {c['dirs']} directories "
        f"(VF settings: {info['vf_settings_source'] or 'not available'})",
        err=True,
    )
    return 0

"""Boot the lab once per (topology, kernel) and share the guest's facts between tests.

A boot costs ~30 s under TCG, so each boot runs guest_probe.py, which gathers
everything the tests assert on. If the lab cannot start, every test that needs it
FAILS with the reason and the guest console's last lines: never a silent skip.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from labboot import Discard

from sriovctl.lab import image, machine, runner
from sriovctl.lab.progress import Progress

PROBE = Path(__file__).with_name("guest_probe.py")


class Boot:
    """One boot's results, copied out of the run directory: runs/ keeps only the newest
    runs, and other sessions' lab runs must not prune ours while the tests read them."""

    def __init__(self, result: runner.RunResult, keep: Path):
        shutil.copytree(result.run_dir, keep)
        self.result = result
        self.dir = keep
        self.facts = json.loads((keep / "facts.json").read_text())

    def file(self, name: str) -> Path:
        return self.dir / name


@pytest.fixture(scope="session")
def lab_boot(tmp_path_factory):
    """lab_boot(topology, kernel='6.1') -> Boot, each combination booted at most once."""
    booted: dict[tuple[str, str], Boot] = {}
    failed: dict[tuple[str, str], str] = {}

    def boot(topology: str, kernel: str = "6.1") -> Boot:
        key = (topology, kernel)
        if key in failed:
            pytest.fail(failed[key], pytrace=False)
        if key not in booted:
            try:
                result = _boot(topology, kernel)
                keep = tmp_path_factory.mktemp(f"lab-{topology}-{kernel}") / "run"
                booted[key] = Boot(result, keep)
            except Exception as e:  # noqa: BLE001 - any reason the lab cannot start
                detail = e.details() if isinstance(e, runner.LabFailed) else repr(e)
                failed[key] = f"lab {topology}/{kernel} did not run: {detail}"
                pytest.fail(failed[key], pytrace=False)
        return booted[key]

    return boot


def _boot(topology: str, kernel: str) -> runner.RunResult:
    progress = Progress()
    # instant when the image is current (scripts/lab-prepare builds it ahead of the tests)
    image.build(kernel, progress=progress)
    spec = machine.MachineSpec(topology=topology, kernel=kernel, source=machine.source_tree())
    result = runner.run("python3 guest_probe.py\n", spec, files={"guest_probe.py": PROBE},
                        timeout=600, progress=progress, stream=Discard())
    if result.rc != 0 or not result.file("facts.json").exists():
        raise AssertionError(f"guest probe failed (exit {result.rc}):\n{result.output[-3000:]}")
    return result

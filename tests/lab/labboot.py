"""Booting the lab from a test: one boot, one way to fail when it cannot run.

Every lab test fails (never skips) with the reason and the guest's output when the lab
cannot start or the guest script does not leave its result file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Union

import pytest

from sriovctl.lab import image, machine, runner
from sriovctl.lab.progress import Progress


class Discard:
    """The guest's output is in guest-output.txt; keep pytest's output readable."""

    def write(self, data: bytes) -> int:
        return len(data)

    def flush(self) -> None:
        pass


def boot(script: str, files: dict[str, Union[bytes, Path]], result_file: str,
         spec: Optional[machine.MachineSpec] = None, timeout: float = 900,
         extra_detail=None) -> runner.RunResult:
    """Build (or reuse) the image, boot `spec` (default: the default topology with the
    source share), run `script`; `result_file` must exist in the run directory after."""
    spec = spec or machine.MachineSpec(source=machine.source_tree())
    progress = Progress()
    try:
        image.build(spec.kernel, progress=progress)  # instant when scripts/lab-prepare ran
        result = runner.run(script, spec, files=files, timeout=timeout, progress=progress,
                            stream=Discard())
    except Exception as e:  # noqa: BLE001 - any reason the lab cannot start
        detail = e.details() if isinstance(e, runner.LabFailed) else repr(e)
        pytest.fail(f"lab did not run: {detail}", pytrace=False)
    if result.rc != 0 or not result.file(result_file).exists():
        more = f"\n{extra_detail(result)}" if extra_detail else ""
        pytest.fail(f"guest script failed (exit {result.rc}):\n{result.output[-3000:]}{more}",
                    pytrace=False)
    return result

"""Boot the lab, run a script in it as root, stream its output, always power off.

The guest's exit status travels through the 9p share (guest-rc), never through the
console: a run without that file did not finish, whatever the console says. On such
a failure the error carries the console's last lines, which say why (no kernel, a
panic, a timeout during boot, ...).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Optional, Union

from sriovctl.errors import SriovctlError
from sriovctl.lab import image as lab_image
from sriovctl.lab import machine
from sriovctl.lab.progress import HEARTBEAT_S, Progress

KEEP_RUNS = 20
CONSOLE_TAIL = 25
# A guest CPU stuck this long in the kernel does not come back in a lab run (seen once
# under heavy host load: a udev worker spinning for 15 min until the timeout); give up
# early with that reason instead of waiting out the whole timeout.
LOCKUP_GIVE_UP_S = 120
SOFT_LOCKUP = re.compile(r"soft lockup - CPU#\d+ stuck for (\d+)s! \[(.*)\]")


class LabFailed(SriovctlError):
    """The guest never reported a result: boot failure, panic or timeout."""

    def __init__(self, message: str, console_tail: list[str], run_dir: Path):
        super().__init__(message, fix=f"see the console log in {run_dir}/console.log")
        self.console_tail = console_tail
        self.run_dir = run_dir

    def details(self) -> str:
        return "\n".join([self.one_line(), "--- console (last lines) ---", *self.console_tail])


@dataclass
class RunResult:
    rc: int
    output: str
    run_dir: Path
    seconds: float
    accel: str
    boot_seconds: Optional[float]  # host time until the guest started the script

    def file(self, name: str) -> Path:
        return self.run_dir / name


def ready_image(kernel: str) -> lab_image.Image:
    """The built image for kernel, or an error saying how to get it (and QEMU)."""
    fix = f"run 'sriovctl lab build --kernel {kernel}'"
    if not shutil.which(machine.QEMU_BINARY):
        raise SriovctlError(f"{machine.QEMU_BINARY} is not installed", fix=fix)
    img = lab_image.image_for(kernel)
    if not img.is_current():
        raise SriovctlError(f"the lab image for kernel {kernel} is not built (or outdated)",
                            fix=fix)
    return img


def runs_dir() -> Path:
    return lab_image.cache_dir() / "runs"


def run(script: str, spec: Optional[machine.MachineSpec] = None,
        files: Optional[dict[str, Union[bytes, Path]]] = None, timeout: float = 600.0,
        accel: str = "auto", stream: Optional[IO[bytes]] = None,
        progress: Optional[Progress] = None) -> RunResult:
    """Boot a lab machine, run `script` (bash) as root with cwd = the share, power off.

    files are copied into the share first; whatever the script writes to its cwd is
    in result.run_dir afterwards. Raises LabFailed when the guest reports no result.
    """
    spec = spec or machine.MachineSpec()
    progress = progress or Progress()
    img = ready_image(spec.kernel)
    run_dir = _new_run_dir()
    (run_dir / "guest-script").write_text(script)
    for name, content in (files or {}).items():
        target = run_dir / name
        if isinstance(content, Path):
            shutil.copyfile(content, target)
        else:
            target.write_bytes(content)
    chosen = machine.choose_accel(accel)
    try:
        result = _boot(spec, img, run_dir, chosen, timeout, stream, progress)
        if result is None and chosen == "kvm" and accel == "auto":
            progress.say("KVM boot produced no result; retrying with TCG")
            chosen = "tcg"
            result = _boot(spec, img, run_dir, chosen, timeout, stream, progress)
    finally:
        (run_dir / "finished").touch()
        _prune_runs()
    if result is None:
        raise _failure(run_dir, timeout)
    return result


def _boot(spec: machine.MachineSpec, img: lab_image.Image, run_dir: Path, accel: str,
          timeout: float, stream: Optional[IO[bytes]], progress: Progress
          ) -> Optional[RunResult]:
    for stale in ("guest-rc", "guest-output.txt", "console.log", "qemu-stderr.log", "timed-out"):
        (run_dir / stale).unlink(missing_ok=True)
    argv = machine.qemu_argv(spec, img.boot_kernel(), img.initrd, img.disk, run_dir,
                             accel=accel, mode="run")
    (run_dir / "qemu-argv.txt").write_text("\n".join(argv) + "\n")
    progress.say(f"booting kernel {spec.kernel} ({accel}), topology "
                 f"{machine.topo.describe(machine.topo.get(spec.topology), spec.nic_count())}")
    started = time.monotonic()
    out = stream if stream is not None else sys.stdout.buffer
    with open(run_dir / "qemu-stderr.log", "wb") as err:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=err)
    watcher = _ConsoleWatcher(run_dir / "console.log", started, progress,
                              on_lockup=lambda line: _give_up(proc, run_dir, line))
    watcher.start()
    timer = threading.Timer(timeout, _expire, args=(proc, run_dir))
    timer.start()
    try:
        assert proc.stdout is not None
        for chunk in iter(lambda: proc.stdout.read1(65536), b""):  # type: ignore[union-attr]
            out.write(chunk)
            out.flush()
        proc.wait()
    finally:
        timer.cancel()
        watcher.stop()
        if proc.poll() is None:  # interrupted: never leave a VM behind
            proc.kill()
            proc.wait()
    seconds = time.monotonic() - started
    rc_file = run_dir / "guest-rc"
    if not rc_file.exists():
        progress.say(f"QEMU exited (status {proc.returncode}) after {seconds:.1f} s "
                     "without a result from the guest")
        return None
    rc = int(rc_file.read_text().strip() or 127)
    output_file = run_dir / "guest-output.txt"
    output = output_file.read_text(errors="replace") if output_file.exists() else ""
    progress.say(f"guest finished (exit {rc}) in {seconds:.1f} s"
                 + (f", script started after {watcher.script_at:.1f} s"
                    if watcher.script_at else ""))
    return RunResult(rc, output, run_dir, seconds, accel, watcher.script_at)


def _expire(proc: subprocess.Popen, run_dir: Path) -> None:
    (run_dir / "timed-out").touch()
    proc.kill()


def _give_up(proc: subprocess.Popen, run_dir: Path, line: str) -> None:
    (run_dir / "locked-up").write_text(line + "\n")
    proc.kill()


def _failure(run_dir: Path, timeout: float) -> LabFailed:
    tail = console_tail(run_dir / "console.log")
    qemu_err = (run_dir / "qemu-stderr.log").read_text(errors="replace").strip().splitlines()
    if (run_dir / "locked-up").exists():
        m = SOFT_LOCKUP.search(_read(run_dir / "locked-up"))
        where = f" ({m.group(2)} stuck for {m.group(1)} s)" if m else ""
        reason = f"the guest kernel locked up{where}; a busy host makes this likelier, rerun"
    elif (run_dir / "timed-out").exists():
        reason = f"timed out after {timeout:.0f} s"
        if "LAB: script begin" in _read(run_dir / "console.log"):
            reason += " while the command was running"
    elif "Kernel panic" in _read(run_dir / "console.log"):
        panic = next(ln for ln in _read(run_dir / "console.log").splitlines()
                     if "Kernel panic" in ln)
        reason = f"the guest kernel panicked: {panic.split('not syncing:')[-1].strip()}"
    elif qemu_err:
        reason = f"QEMU failed: {qemu_err[-1]}"
    elif "LAB: init start" not in _read(run_dir / "console.log"):
        reason = "the guest never reached its init"
    else:
        reason = "the guest powered off without reporting a result"
    return LabFailed(f"the lab guest did not finish: {reason}", tail, run_dir)


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def console_tail(path: Path, lines: int = CONSOLE_TAIL) -> list[str]:
    text = _read(path).replace("\r", "")
    return [ln for ln in text.splitlines() if ln.strip()][-lines:]


class _ConsoleWatcher:
    """Turns the guest's LAB: milestones on the console into progress lines."""

    def __init__(self, path: Path, started: float, progress: Progress,
                 on_lockup: Optional[Callable[[str], None]] = None):
        self.path, self.started, self.progress = path, started, progress
        self.on_lockup = on_lockup
        self.script_at: Optional[float] = None
        self._offset = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._scan()  # milestones written just before power-off

    def _loop(self) -> None:
        last_beat = time.monotonic()
        while not self._stop.wait(0.5):
            if self._scan():
                last_beat = time.monotonic()
            elif self.script_at is None and time.monotonic() - last_beat >= HEARTBEAT_S:
                last_beat = time.monotonic()
                self.progress.say(f"booting: {last_beat - self.started:.0f} s")

    def _scan(self) -> bool:
        try:
            with open(self.path, "rb") as f:
                f.seek(self._offset)
                data = f.read()
        except OSError:
            return False
        complete = data[: data.rfind(b"\n") + 1]
        self._offset += len(complete)
        said = False
        for raw in complete.decode(errors="replace").splitlines():
            line = raw.strip()
            if self.progress.console:
                self.progress.raw(f"console| {raw.rstrip()}")
            lockup = SOFT_LOCKUP.search(line)
            if lockup and int(lockup.group(1)) >= LOCKUP_GIVE_UP_S and self.on_lockup:
                self.on_lockup(line)
                self.on_lockup = None
            if not line.startswith("LAB: "):
                continue
            now = time.monotonic() - self.started
            milestone = line[5:].split(" uptime=")[0]
            if milestone == "script begin" and self.script_at is None:
                self.script_at = now
            if milestone.startswith("done"):
                continue
            self.progress.say(f"guest: {milestone} ({now:.1f} s)")
            said = True
        return said


def _new_run_dir() -> Path:
    base = runs_dir()
    base.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=time.strftime("%Y%m%d-%H%M%S-"), dir=base))


def _prune_runs() -> None:
    """Keep the newest finished runs; never touch one that is still running."""
    finished = [d for d in runs_dir().iterdir() if (d / "finished").exists()]
    finished.sort(key=lambda d: d.stat().st_mtime, reverse=True)
    for old in finished[KEEP_RUNS:]:
        shutil.rmtree(old, ignore_errors=True)


def shell(spec: machine.MachineSpec, accel: str = "auto",
          progress: Optional[Progress] = None) -> int:
    """An interactive root shell on the guest's serial console; powers off on exit."""
    progress = progress or Progress()
    img = ready_image(spec.kernel)
    run_dir = _new_run_dir()
    argv = machine.qemu_argv(spec, img.boot_kernel(), img.initrd, img.disk, run_dir,
                             accel=machine.choose_accel(accel), mode="shell")
    progress.say("booting (~20 s under TCG); 'exit' powers off, Ctrl-A X kills QEMU")
    try:
        return subprocess.call(argv)
    finally:
        (run_dir / "finished").touch()
        _prune_runs()


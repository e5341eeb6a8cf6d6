"""The change framework: executor rollback, interrupts, atomic files, sysfs timeouts, units."""

from __future__ import annotations

import errno
import os
import signal
import threading

import pytest

from sriovctl.changes.commands import RunCommand
from sriovctl.changes.executor import Interrupted, InterruptGuard, execute
from sriovctl.changes.fakes import MemoryFiles, MemorySysfs, RecordingCommands
from sriovctl.changes.files import AtomicFiles, WriteFile
from sriovctl.changes.step import Call, Plan
from sriovctl.changes.sysfs import RealSysfs, SysfsWrite
from sriovctl.changes.units import exec_line, render_unit, udev_rule
from sriovctl.errors import ChangeFailed


def recording_plan(log, fail_at=None, steps=3):
    plan = Plan("test", state=lambda: f"state after: {log}")

    def make(i):
        def do():
            log.append(f"apply {i}")
            if i == fail_at:
                raise OSError(errno.EIO, "Input/output error")
        return Call(f"step {i}", do, revert=lambda: log.append(f"undo {i}"))

    for i in range(1, steps + 1):
        plan.add(make(i))
    return plan


def test_all_steps_run_in_order_and_nothing_is_undone():
    log = []
    outcome = execute(recording_plan(log))
    assert log == ["apply 1", "apply 2", "apply 3"]
    assert outcome.done == ["step 1", "step 2", "step 3"]


def test_a_failing_step_undoes_itself_and_the_earlier_ones_newest_first():
    log = []
    with pytest.raises(ChangeFailed) as e:
        execute(recording_plan(log, fail_at=2))
    assert log == ["apply 1", "apply 2", "undo 2", "undo 1"]
    assert e.value.message.startswith("step 2: Input/output error; rolled back 2 change(s)")
    assert "now: state after" in e.value.message


def test_an_undo_that_fails_is_reported_and_the_others_still_run():
    log = []
    plan = recording_plan(log, fail_at=3)
    plan.steps[1].revert = lambda: (_ for _ in ()).throw(OSError(errno.EBUSY, "busy"))
    with pytest.raises(ChangeFailed) as e:
        execute(plan)
    assert log == ["apply 1", "apply 2", "apply 3", "undo 3", "undo 1"]
    assert "rollback INCOMPLETE, could not undo: step 2 (busy)" in e.value.message


@pytest.fixture
def sigint_delivered():
    """SIGINT as in a terminal: a test run in a script's background job inherits it ignored."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def test_a_real_sigint_is_deferred_to_the_end_of_the_step_then_rolls_back(sigint_delivered):
    log = []
    plan = recording_plan(log)
    first = plan.steps[0].do

    def interrupted_apply():
        first()
        os.kill(os.getpid(), signal.SIGINT)  # arrives mid-step: must not break the step
        log.append("step 1 finished")

    plan.steps[0].do = interrupted_apply
    said = []
    with pytest.raises(Interrupted) as e:
        execute(plan, say=said.append)
    assert log == ["apply 1", "step 1 finished", "undo 1"]
    assert e.value.exit_code == 130
    assert e.value.message.startswith("interrupted by SIGINT before 'step 2'")
    assert "SIGINT received: rolling back what this command changed" in said
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored


def test_sigterm_during_the_rollback_does_not_stop_it():
    log, said = [], []
    plan = recording_plan(log, fail_at=3)
    plan.steps[1].revert = lambda: (os.kill(os.getpid(), signal.SIGTERM), log.append("undo 2"))
    previous = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        with pytest.raises(ChangeFailed):
            execute(plan, say=said.append)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert log[-3:] == ["undo 3", "undo 2", "undo 1"]
    assert "SIGTERM received during the rollback: ignored, the rollback had to finish" in said


def test_a_signal_arriving_while_progress_is_being_written_cannot_break_the_run():
    # the lab's failure: the handler printed while the main thread was printing
    log, said = [], []
    plan = recording_plan(log)

    def say(text):
        said.append(text)
        if text.startswith("[2/3]"):
            os.kill(os.getpid(), signal.SIGINT)  # lands "inside" the progress write

    with pytest.raises(Interrupted) as e:
        execute(plan, say=say)
    assert log == ["apply 1", "apply 2", "undo 2", "undo 1"]
    assert "before 'step 3'" in e.value.message


def test_interrupt_during_the_last_step_keeps_the_finished_change():
    log, said = [], []
    guard = InterruptGuard(said.append)
    plan = recording_plan(log, steps=1)
    plan.steps[0].do = lambda: (log.append("apply 1"), guard.interrupt("SIGTERM"))
    execute(plan, say=said.append, guard=guard)
    assert log == ["apply 1"]
    assert any("change is complete" in s for s in said)


def test_atomic_file_keeps_mode_owner_and_a_backup(tmp_path):
    target = tmp_path / "etc/default/grub"
    target.parent.mkdir(parents=True)
    target.write_text("old\n")
    os.chmod(target, 0o600)
    files = AtomicFiles(str(tmp_path))
    step = WriteFile(files, "/etc/default/grub", "new\n")
    execute(Plan("t", [step]))
    assert target.read_text() == "new\n"
    assert (target.stat().st_mode & 0o777) == 0o600
    assert (tmp_path / "etc/default/grub.sriovctl.bak").read_text() == "old\n"
    assert [p.name for p in target.parent.iterdir() if p.name.endswith(".tmp")] == []
    step.undo()
    assert target.read_text() == "old\n"


def test_write_file_undo_removes_a_file_it_created():
    files = MemoryFiles()
    plan = Plan("t", [WriteFile(files, "/etc/x.conf", "x\n"),
                      Call("boom", lambda: (_ for _ in ()).throw(RuntimeError("boom")))])
    with pytest.raises(ChangeFailed):
        execute(plan)
    assert files.read("/etc/x.conf") is None


def test_sysfs_write_explains_errno_and_undo_restores(tmp_path):
    sysfs = MemorySysfs({"/sys/x": "1"}, fail={})
    step = SysfsWrite(sysfs, "/sys/x", "2", "x -> 2")
    execute(Plan("t", [step]))
    step.undo()
    assert sysfs.log == [("/sys/x", "2"), ("/sys/x", "1")]
    sysfs.fail["/sys/x"] = errno.ENOMEM
    step = SysfsWrite(sysfs, "/sys/x", "3", "x -> 3",
                      explain_errno=lambda e: ("no memory for x", "pci=realloc"))
    with pytest.raises(ChangeFailed) as e:
        execute(Plan("t", [step]))
    assert (e.value.message.split(";")[0], e.value.fix) == ("no memory for x", "pci=realloc")


def test_real_sysfs_write_times_out_without_hanging(tmp_path):
    fifo = tmp_path / "sriov_numvfs"
    os.mkfifo(fifo)  # open(O_WRONLY) blocks until a reader comes, like a stuck driver
    with pytest.raises(OSError) as e:
        RealSysfs(str(tmp_path)).write("/sriov_numvfs", "7", timeout=0.2)
    assert e.value.errno == errno.ETIMEDOUT
    threading.Thread(target=lambda: open(fifo).read(), daemon=True).start()  # free the writer


def test_commands_are_argument_lists_and_undo_runs_the_reverse():
    commands = RecordingCommands()
    step = RunCommand(commands, ["grubby", "--update-kernel=ALL", "--args=iommu=pt"],
                      undo_argv=["grubby", "--update-kernel=ALL", "--remove-args=iommu=pt"])
    execute(Plan("t", [step]))
    step.undo()
    assert commands.log[1][-1] == "--remove-args=iommu=pt"
    commands.results["false"] = (1, "", "it failed\n")
    with pytest.raises(ChangeFailed, match="false failed: it failed"):
        execute(Plan("t", [RunCommand(commands, ["false"])]))


def test_unit_and_udev_rendering_quote_what_needs_quoting():
    text = render_unit([("Unit", [("Description", "x")]),
                        ("Service", [("ExecStart", exec_line(["/usr/bin/x", "a b", "50%"]))])],
                       header="# hi")
    assert text == ('# hi\n\n[Unit]\nDescription=x\n\n[Service]\n'
                    'ExecStart=/usr/bin/x "a b" "50%%"\n')
    assert udev_rule([("ACTION", "==", "add")], [("RUN", "+=", "/bin/x")]) == \
        'ACTION=="add", RUN+="/bin/x"'
    with pytest.raises(ValueError):
        udev_rule([("KERNEL", "==", 'a"b')], [])


def test_a_sigint_ignored_at_start_stays_ignored(sigint_delivered):
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    log = []
    plan = recording_plan(log)
    first = plan.steps[0].do

    def interrupted_apply():
        first()
        os.kill(os.getpid(), signal.SIGINT)

    plan.steps[0].do = interrupted_apply
    execute(plan)  # runs to the end: nobody asked for this signal to reach us
    assert log[-1] == "apply 3" and signal.getsignal(signal.SIGINT) is signal.SIG_IGN

"""`kernel iommu --enable`: by meaning, per boot loader, never asking twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from sriovctl.changes.executor import execute
from sriovctl.changes.fakes import MemorySysfs, RecordingCommands
from sriovctl.changes.files import AtomicFiles
from sriovctl.errors import InputError
from sriovctl.vfs.context import Env
from sriovctl.vfs.kernel_args import edit_cmdline, plan_iommu, satisfied, vendor_of

RUNNING_OFF = "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet"
RUNNING_ON = RUNNING_OFF + " intel_iommu=on iommu=pt"


def env_for(root: Path) -> Env:
    return Env(sysfs=MemorySysfs(), netlink=None, files=AtomicFiles(str(root)),  # type: ignore
               commands=RecordingCommands(), root=str(root))


def write(root: Path, rel: str, text: str) -> Path:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return p


@pytest.mark.parametrize("before, after", [
    ("quiet", "quiet intel_iommu=on iommu=pt"),
    ("quiet intel_iommu=off", "quiet intel_iommu=on iommu=pt"),
    ("intel_iommu=sm_on iommu=nopt", "intel_iommu=on,sm_on iommu=pt"),
    ("intel_iommu=on,sm_on iommu=pt", "intel_iommu=on,sm_on iommu=pt"),
])
def test_editing_is_by_meaning(before, after):
    assert edit_cmdline(before, "intel") == after
    assert satisfied(after, "intel")
    assert not satisfied("intel_iommu=off iommu=pt", "intel")  # "on" inside "off"? no


def test_amd_and_arm_variants():
    assert edit_cmdline("quiet", "amd") == "quiet iommu=pt"
    assert edit_cmdline("quiet", "arm") == "quiet iommu.passthrough=on"
    assert vendor_of("AuthenticAMD", "x86_64") == "amd"
    assert vendor_of(None, "aarch64") == "arm"
    with pytest.raises(InputError) as e:
        vendor_of("Weird", None)
    assert "--vendor" in e.value.fix


def test_debian_default_grub_is_edited_and_update_grub_printed(tmp_path):
    grub = write(tmp_path, "etc/default/grub",
                 'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX=""\n')
    grub.chmod(0o640)
    write(tmp_path, "usr/sbin/update-grub", "")
    env = env_for(tmp_path)
    plan = plan_iommu(env, "intel", RUNNING_OFF)
    execute(plan)
    assert grub.read_text() == ('GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT="quiet '
                                'intel_iommu=on iommu=pt"\nGRUB_CMDLINE_LINUX=""\n')
    assert grub.stat().st_mode & 0o777 == 0o640
    assert plan.notes == ["then regenerate the GRUB configuration: update-grub",
                          "reboot to activate intel_iommu=on iommu=pt"]
    again = plan_iommu(env_for(tmp_path), "intel", RUNNING_OFF)
    assert not again and again.notes == [
        "the boot configuration already has intel_iommu=on iommu=pt; the running kernel "
        "does not: reboot to activate it"]
    done = plan_iommu(env_for(tmp_path), "intel", RUNNING_ON)
    assert done.notes[0].endswith("and the running kernel uses it")


def test_the_variable_that_already_mentions_the_iommu_is_the_one_edited(tmp_path):
    grub = write(tmp_path, "etc/default/grub", 'GRUB_CMDLINE_LINUX_DEFAULT="quiet"\n'
                 "GRUB_CMDLINE_LINUX='crashkernel=auto intel_iommu=off'\n")
    execute(plan_iommu(env_for(tmp_path), "intel", RUNNING_OFF))
    assert grub.read_text() == ('GRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX='
                                '"crashkernel=auto intel_iommu=on iommu=pt"\n')


def test_bls_entries_are_edited_and_grub_defaults_too(tmp_path):
    entry = write(tmp_path, "boot/loader/entries/abc-6.1.conf",
                  "title Linux\nlinux /vmlinuz-6.1\noptions root=/dev/vda ro\n")
    write(tmp_path, "etc/default/grub", 'GRUB_CMDLINE_LINUX="ro"\n')
    plan = plan_iommu(env_for(tmp_path), "intel", RUNNING_OFF)
    execute(plan)
    assert entry.read_text().endswith("options root=/dev/vda ro intel_iommu=on iommu=pt\n")
    assert not any("regenerate" in n for n in plan.notes)


def test_bls_with_a_variable_needs_grubby(tmp_path):
    write(tmp_path, "boot/loader/entries/x.conf", "options $kernelopts\n")
    with pytest.raises(InputError, match="grubby"):
        plan_iommu(env_for(tmp_path), "intel", RUNNING_OFF)


def test_grubby_is_used_where_present_with_an_undo(tmp_path):
    write(tmp_path, "usr/sbin/grubby", "")
    env = env_for(tmp_path)
    env.commands.results["/usr/sbin/grubby"] = (
        0, 'index=0\nkernel="/boot/vmlinuz-5.14"\nargs="ro crashkernel=auto intel_iommu=on"\n'
           'index=1\nkernel="/boot/vmlinuz-5.14-rescue"\nargs="ro"\n', "")
    plan = plan_iommu(env, "intel", RUNNING_OFF, use_grubby=True)
    assert plan.describe() == ["run /usr/sbin/grubby --update-kernel=ALL "
                               "'--args=intel_iommu=on iommu=pt' (every boot entry and new "
                               "kernels)"]
    execute(plan)
    plan.steps[0].undo()
    assert env.commands.log[-1] == ["/usr/sbin/grubby", "--update-kernel=ALL",
                                    "--remove-args=intel_iommu=on iommu=pt"]


def test_no_boot_loader_at_all_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no boot loader configuration"):
        plan_iommu(env_for(tmp_path), "intel", RUNNING_OFF)


def test_cli_dry_run_prints_a_diff_and_changes_nothing(tmp_path, cli):
    grub = write(tmp_path, "etc/default/grub", 'GRUB_CMDLINE_LINUX_DEFAULT="quiet"\n')
    write(tmp_path, "proc/cmdline", RUNNING_OFF + "\n")
    write(tmp_path, "proc/cpuinfo", "vendor_id\t: GenuineIntel\nflags\t\t: vmx lm\n\n")
    code, out, err = cli("kernel", "iommu", "--enable", "--dry-run", "--root", tmp_path)
    assert code == 0, err
    assert "would: write /etc/default/grub (IOMMU arguments for GRUB)" in out
    assert '+GRUB_CMDLINE_LINUX_DEFAULT="quiet intel_iommu=on iommu=pt"' in out
    assert grub.read_text() == 'GRUB_CMDLINE_LINUX_DEFAULT="quiet"\n'

"""Fast tests of the lab's pure parts: no QEMU, no image, no root needed."""

from __future__ import annotations

import gzip
import lzma
from pathlib import Path

import pytest

from sriovctl.errors import InputError
from sriovctl.lab import demo, deps, image, machine, runner, topology, vmlinux


def argv_for(name: str, nics=None, source=None, mode="run", accel="tcg") -> list[str]:
    spec = machine.MachineSpec(topology=name, nics=nics, source=source)
    return machine.qemu_argv(spec, Path("/k/vmlinux"), Path("/k/initrd"), Path("/k/root.img"),
                             Path("/run/x"), accel=accel, mode=mode)


def devices(argv: list[str]) -> list[str]:
    return [argv[i + 1] for i, a in enumerate(argv) if a == "-device"]


def test_default_topology_is_q35_tcg_with_vtd_and_one_igb_behind_a_root_port():
    argv = argv_for("default")
    assert argv[0] == "qemu-system-x86_64"
    assert argv[argv.index("-machine") + 1] == "q35"
    assert argv[argv.index("-accel") + 1] == "tcg,thread=multi"
    assert argv[argv.index("-cpu") + 1] == "max"
    assert devices(argv) == [
        "intel-iommu,intremap=on,caching-mode=on",
        "virtio-blk-pci,drive=d0",
        "pcie-root-port,id=rp0,chassis=1,slot=1",
        "igb,netdev=n0,bus=rp0,mac=52:54:00:12:34:56",
    ]
    assert "file=/k/root.img,if=none,id=d0,format=raw,snapshot=on" in argv
    assert argv[argv.index("-kernel") + 1] == "/k/vmlinux"


def test_run_mode_sends_console_to_a_file_and_script_output_to_stdout():
    argv = argv_for("default")
    serials = [argv[i + 1] for i, a in enumerate(argv) if a == "-serial"]
    assert serials == ["file:/run/x/console.log", "stdio"]
    assert "-no-reboot" in argv and "-nodefaults" in argv


def test_shell_mode_puts_the_console_on_the_terminal():
    argv = argv_for("default", mode="shell")
    assert [argv[i + 1] for i, a in enumerate(argv) if a == "-serial"] == ["mon:stdio"]
    assert "lab.mode=shell" in argv[argv.index("-append") + 1]


def test_cmdline_turns_the_iommu_on_by_default_and_boots_the_lab_init():
    cmdline = argv_for("default")[-1]
    for word in ("root=/dev/vda", "console=ttyS0", "intel_iommu=on", "iommu=pt",
                 "init=/sbin/sriovctl-lab-init", "lab.mode=run", "panic=-1", "no_timer_check"):
        assert word in cmdline.split()


def test_systemd_init_boots_systemd_and_marks_the_unit_that_runs_the_script():
    spec = machine.MachineSpec(init="systemd")
    words = machine.qemu_argv(spec, Path("/k/vmlinux"), Path("/k/initrd"), Path("/k/root.img"),
                              Path("/run/x"))[-1].split()
    assert "init=/lib/systemd/systemd" in words and "lab.init=systemd" in words
    assert "init=/sbin/sriovctl-lab-init" not in words
    unit = image.rootfs.guest_file("sriovctl-lab.service").decode()
    assert "ConditionKernelCommandLine=lab.init=systemd" in unit  # inert under the lab init
    assert "ExecStart=/sbin/sriovctl-lab-init" in unit
    assert "-no-reboot" in machine.qemu_argv(spec, Path("/k"), Path("/i"), Path("/d"),
                                             Path("/r"))
    rebooting = machine.MachineSpec(init="systemd", reboot=True)
    assert "-no-reboot" not in machine.qemu_argv(rebooting, Path("/k"), Path("/i"),
                                                 Path("/d"), Path("/r"))
    with pytest.raises(ValueError, match="unknown lab init"):
        topology.kernel_cmdline(topology.get("default"), init="openrc")


def test_no_iommu_has_neither_the_device_nor_the_kernel_args():
    argv = argv_for("no-iommu")
    assert not any(d.startswith("intel-iommu") for d in devices(argv))
    assert "intel_iommu" not in argv[-1] and "iommu=pt" not in argv[-1]


def test_iommu_off_keeps_the_device_and_tells_the_kernel_off():
    argv = argv_for("iommu-off")
    assert devices(argv)[0].startswith("intel-iommu")
    assert "intel_iommu=off" in argv[-1].split()


def test_shared_group_puts_the_pf_behind_a_switch_without_acs():
    assert devices(argv_for("shared-group"))[2:] == [
        "pcie-root-port,id=rp0,chassis=1,slot=1",
        "x3130-upstream,id=up0,bus=rp0",
        "xio3130-downstream,id=dn0,bus=up0,chassis=1,slot=17",
        "igb,netdev=n0,bus=dn0,mac=52:54:00:12:34:56",
    ]


def test_shared_group_rootport_disables_acs_on_the_root_port():
    assert "pcie-root-port,id=rp0,chassis=1,slot=1,disable-acs=on" in devices(
        argv_for("shared-group-rootport"))


def test_two_nics_gives_two_pfs_each_behind_its_own_port_with_distinct_macs():
    devs = devices(argv_for("two-nics"))
    assert [d for d in devs if d.startswith("igb")] == [
        "igb,netdev=n0,bus=rp0,mac=52:54:00:12:34:56",
        "igb,netdev=n1,bus=rp1,mac=52:54:00:12:34:57",
    ]
    assert "pcie-root-port,id=rp1,chassis=2,slot=2" in devs


def test_nics_overrides_the_topology_count():
    assert len([d for d in devices(argv_for("shared-group", nics=3)) if d.startswith("igb")]) == 3


def test_user_networking_is_restricted_so_the_guest_reaches_nothing_outside():
    argv = argv_for("two-nics")
    netdevs = [argv[i + 1] for i, a in enumerate(argv) if a == "-netdev"]
    assert netdevs == ["user,id=n0,restrict=on,ipv6=off", "user,id=n1,restrict=on,ipv6=off"]


def test_source_tree_is_shared_read_only_and_the_run_dir_read_write():
    argv = argv_for("default", source=Path("/src/tree"))
    shares = [argv[i + 1] for i, a in enumerate(argv) if a == "-virtfs"]
    assert shares == [
        "local,path=/run/x,mount_tag=lab,security_model=none,id=lab",
        "local,path=/src/tree,mount_tag=src,security_model=none,readonly=on,id=src",
    ]


def test_extra_shares_are_read_only_and_forwards_go_on_the_first_nic():
    spec = machine.MachineSpec(topology="two-nics", shares=(("neutron", Path("/srv/n")),),
                               forwards=(("10.0.2.100:5672", "python3 relay.py 41000"),))
    argv = machine.qemu_argv(spec, Path("/k/vmlinux"), Path("/k/initrd"), Path("/k/root.img"),
                             Path("/run/x"))
    assert "local,path=/srv/n,mount_tag=neutron,security_model=none,readonly=on,id=neutron" \
        in argv
    netdevs = [argv[i + 1] for i, a in enumerate(argv) if a == "-netdev"]
    assert netdevs[0].endswith(",guestfwd=tcp:10.0.2.100:5672-cmd:python3 relay.py 41000")
    assert "guestfwd" not in netdevs[1]


def test_kvm_args_use_the_host_cpu():
    argv = argv_for("default", accel="kvm")
    assert argv[argv.index("-accel") + 1].startswith("kvm")
    assert argv[argv.index("-cpu") + 1] == "host"


def test_unknown_topology_is_an_input_error_naming_the_choices():
    with pytest.raises(InputError) as caught:
        topology.get("nope")
    assert "shared-group" in caught.value.fix


def test_kvm_is_not_used_on_a_pvm_nested_device(tmp_path):
    dev = tmp_path / "kvm"
    dev.write_text("")
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("flags\t\t: fpu vmx sse\n")
    pvm = tmp_path / "kvm_pvm"
    assert machine.kvm_usable(dev, cpuinfo, pvm) is True
    pvm.mkdir()
    assert machine.kvm_usable(dev, cpuinfo, pvm) is False
    cpuinfo.write_text("flags\t\t: fpu sse\n")
    assert machine.kvm_usable(dev, cpuinfo, tmp_path / "absent") is False


def test_source_tree_of_this_checkout_is_its_root():
    root = machine.source_tree()
    assert (root / "src" / "sriovctl" / "__init__.py").exists()


def test_qemu_version_parsing():
    assert deps.parse_qemu_version("QEMU emulator version 10.0.2 (Debian 1:10.0.2)") == (10, 0)
    assert deps.parse_qemu_version("QEMU emulator version 7.2.9") < deps.MIN_QEMU
    assert deps.parse_qemu_version("garbage") is None


def test_mirror_comes_from_the_main_debian_stanza_not_security(tmp_path):
    sources = tmp_path / "debian.sources"
    sources.write_text(
        "Types: deb\nURIs: http://mirror.example/debian/\nSuites: bookworm bookworm-updates\n"
        "Components: main\n\n"
        "Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\n"
    )
    assert deps.debian_mirror_uri(sources, tmp_path / "none") == "http://mirror.example/debian"


def test_mirror_from_a_legacy_sources_list(tmp_path):
    legacy = tmp_path / "sources.list"
    legacy.write_text("# comment\ndeb [arch=amd64] http://m.example/debian bookworm main\n")
    assert deps.debian_mirror_uri(tmp_path / "none", legacy) == "http://m.example/debian"


def test_backports_stanza_uses_the_given_uri():
    text = deps.backports_stanza("http://m.example/debian")
    assert "URIs: http://m.example/debian\n" in text
    assert "Suites: bookworm-backports\n" in text


def test_manual_instructions_name_every_tool():
    text = deps.manual_instructions([deps.Missing("debootstrap", "debootstrap")])
    for word in ("QEMU >= 8.0", "debootstrap", "e2fsprogs", "bookworm-backports"):
        assert word in text


@pytest.mark.parametrize("compress", [lzma.compress, gzip.compress])
def test_vmlinux_is_found_inside_a_compressed_kernel(tmp_path, compress):
    elf = b"\x7fELF" + bytes(range(256)) * 64
    bz = tmp_path / "vmlinuz"
    bz.write_bytes(b"MZ" + b"\0" * 500 + compress(elf) + b"\0" * 100)
    assert vmlinux.extract(bz, tmp_path / "vmlinux") is not None
    assert (tmp_path / "vmlinux").read_bytes() == elf


def test_vmlinux_absent_returns_none(tmp_path):
    bz = tmp_path / "vmlinuz"
    bz.write_bytes(b"MZ not a kernel")
    assert vmlinux.extract(bz, tmp_path / "vmlinux") is None


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("SRIOVCTL_LAB_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert image.cache_dir() == tmp_path / "sriovctl" / "lab"
    monkeypatch.setenv("SRIOVCTL_LAB_CACHE", "/x")
    assert image.cache_dir() == Path("/x")


def test_image_key_changes_with_the_guest_init(monkeypatch):
    before = image.image_key("6.1")
    real = image.rootfs.guest_file
    monkeypatch.setattr(image.rootfs, "guest_file", lambda n: real(n) + b"# changed\n")
    assert image.image_key("6.1") != before
    assert image.rootfs_key("6.1") != image.rootfs_key("6.12")


def test_an_unbuilt_image_is_not_current(monkeypatch, tmp_path):
    monkeypatch.setenv("SRIOVCTL_LAB_CACHE", str(tmp_path))
    assert not image.image_for("6.1").is_current()
    with pytest.raises(Exception, match="unknown lab kernel"):
        image.image_for("5.10")


def test_guest_files_are_package_data():
    init = image.rootfs.guest_file("lab-init.sh").decode()
    assert init.startswith("#!/bin/bash") and "sysrq-trigger" in init and "guest-rc" in init
    assert b"python3 -m sriovctl" in image.rootfs.guest_file("sriovctl-wrapper.sh")


def test_failure_reason_names_a_timeout_and_keeps_the_console_tail(tmp_path):
    (tmp_path / "console.log").write_text("line\r\n" * 3 + "LAB: init start uptime=9\n")
    (tmp_path / "qemu-stderr.log").write_text("")
    (tmp_path / "timed-out").touch()
    failure = runner._failure(tmp_path, 30)
    assert "timed out after 30 s" in failure.one_line()
    assert failure.console_tail[-1] == "LAB: init start uptime=9"
    assert "\r" not in "".join(failure.console_tail)


def test_failure_reason_quotes_qemu(tmp_path):
    (tmp_path / "console.log").write_text("")
    (tmp_path / "qemu-stderr.log").write_text("qemu: could not load kernel '/k'\n")
    assert "QEMU failed: qemu: could not load kernel" in runner._failure(tmp_path, 9).one_line()


def test_demo_script_narrates_every_step_and_skips_missing_commands():
    steps = demo.steps()
    text = demo.script(steps, commands=set())
    assert text.count("== Step ") == len(steps)
    assert "sriovctl check" in text and "does not exist yet" in text
    # without `sriovctl vfs`, the VF is configured with ip link, as the guide does
    assert f"ip link set $PF vf 0 mac {demo.VF0_MAC} vlan {demo.VF0_VLAN}" in text
    assert "igbvf" in text
    with_check = demo.script(steps, commands={"check", "inspect"})
    assert "check' does not exist" not in with_check and "sriovctl check" in with_check
    with_vfs = demo.script(steps, commands={"vfs"})
    assert f"sriovctl vfs set $PF vf 0 mac {demo.VF0_MAC} vlan {demo.VF0_VLAN}" in with_vfs
    assert "ip link set $PF vf 0" not in with_vfs


def test_cli_lists_topologies_and_refuses_a_run_without_a_command():
    from sriovctl.cli.main import main

    assert main(["lab", "topologies", "-f", "value", "-c", "Name"]) == 0
    assert main(["lab", "run"]) == 2


def test_cli_run_systemd_boots_systemd(monkeypatch):
    from sriovctl.cli.main import main

    seen = {}

    def fake_run(script, spec, **kw):
        seen["spec"] = spec
        return runner.RunResult(0, "", Path("/nonexistent"), 1.0, "tcg", 1.0)

    monkeypatch.setattr(runner, "run", fake_run)
    assert main(["lab", "run", "--systemd", "--", "systemctl", "is-system-running"]) == 0
    assert seen["spec"].init == "systemd"
    assert main(["lab", "run", "--", "true"]) == 0 and seen["spec"].init == "lab"


def test_cli_demo_list_needs_no_boot(capsys):
    from sriovctl.cli.main import main

    assert main(["lab", "demo", "--list"]) == 0
    out = capsys.readouterr().out
    assert "Create 7 VFs through sysfs" in out


def test_failure_reason_quotes_the_kernel_panic(tmp_path):
    (tmp_path / "console.log").write_text(
        "[ 3.7] Kernel panic - not syncing: VFS: Unable to mount root fs\n[ 3.8] Call Trace:\n")
    (tmp_path / "qemu-stderr.log").write_text("")
    reason = runner._failure(tmp_path, 9).one_line()
    assert "the guest kernel panicked: VFS: Unable to mount root fs" in reason


def test_views_render_the_inventory_like_ip_link_and_lspci():
    from sriovctl.lab import views

    inventory = {"pfs": [{
        "address": "0000:01:00.0", "netdev": "enp1s0", "vendor_device": "8086:10c9",
        "driver": "igb", "link": {"mac": "52:54:00:12:34:56", "mtu": 1500, "operstate": "up"},
        "vfs": [{"index": 0, "address": "0000:01:10.0", "vendor_device": "8086:10ca",
                 "driver": "igbvf", "mac": "fa:16:3e:fe:47:d2", "vlan": 1000, "qos": None,
                 "spoofchk": True, "trust": False, "link_state": "auto", "max_tx_rate": 0}],
    }]}
    assert views.ip_link(inventory) == [
        "enp1s0: mtu 1500 state UP",
        "    link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff",
        # exactly iproute2's vf line for the same settings
        "    vf 0     link/ether fa:16:3e:fe:47:d2 brd ff:ff:ff:ff:ff:ff, vlan 1000, "
        "spoof checking on, link-state auto, trust off",
    ]
    assert views.lspci(inventory)[1] == (
        "0000:01:10.0 Ethernet controller: [8086:10ca]  (driver igbvf, VF 0 of 0000:01:00.0)")


def test_a_soft_lockup_ends_the_run_early_with_that_reason(tmp_path):
    console = tmp_path / "console.log"
    lockup = "[ 56.3] watchdog: BUG: soft lockup - CPU#0 stuck for {}s! [(udev-worker):269]\n"
    console.write_text("LAB: script begin uptime=15\n" + lockup.format(26))
    seen = []
    watcher = runner._ConsoleWatcher(console, 0.0, runner.Progress(quiet=True),
                                     on_lockup=seen.append)
    watcher._scan()
    assert seen == []  # 26 s: might still recover
    with open(console, "a") as f:
        f.write(lockup.format(130))
    watcher._scan()
    assert len(seen) == 1
    (tmp_path / "qemu-stderr.log").write_text("")
    (tmp_path / "locked-up").write_text(seen[0])
    assert "locked up ((udev-worker):269 stuck for 130 s)" in runner._failure(
        tmp_path, 600).one_line()

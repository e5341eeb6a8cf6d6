"""`vfs set PF N` on the fake kernel: skip, grow, resize through 0, refuse users, roll back."""

from __future__ import annotations

import errno

import pytest

from sriovctl.changes.executor import Interrupted, execute
from sriovctl.errors import ChangeFailed, InputError
from sriovctl.vfs.context import find_pf
from sriovctl.vfs.count import plan_count


def run_set(lab, n, **kw):
    host = lab.host()
    plan = plan_count(lab.env, host, find_pf(host, "enp1s0"), n, **kw)
    execute(plan, lab.env.say, lab.env.guard)
    return plan


def test_creates_vfs_and_waits_for_links_and_netdevs(lab):
    lab = lab(0)
    run_set(lab, 7)
    host = lab.host()
    pf = host.find_pf("enp1s0")
    assert pf.sriov.numvfs == 7 and len(pf.virtfns) == 7
    assert [host.devices[a].netdevs for _, a in pf.virtfns] == [
        (f"enp1s0v{i}",) for i in range(7)]
    assert lab.kernel.log == [("/sys/bus/pci/devices/0000:01:00.0/sriov_numvfs", "7")]


def test_nothing_is_written_when_the_count_is_already_right(lab):
    lab = lab(7)
    plan = run_set(lab, 7)
    assert lab.kernel.log == []
    assert plan.notes == ["enp1s0 already has 7 VFs; sriov_numvfs not written"]


def test_resize_goes_through_zero_and_resets_settings(lab):
    lab = lab(7)
    lab.netlink.set_vf("enp1s0", 0, {"mac": "fa:16:3e:fe:47:d2"})
    run_set(lab, 3)
    writes = [v for _, v in lab.kernel.log]
    assert writes == ["0", "3"]
    assert lab.kernel.numvfs("enp1s0") == 3
    assert lab.netlink.vfs("enp1s0")[0].mac == "00:00:00:00:00:00"


def test_too_many_vfs_is_an_input_error_before_any_write(lab):
    lab = lab(0)
    with pytest.raises(InputError, match="at most 7 VFs"):
        run_set(lab, 8)
    assert lab.kernel.log == []


def test_refuses_to_resize_while_a_vf_is_bound_to_vfio_and_names_it(lab):
    lab = lab(7)
    bind_vfio(lab, "0000:01:10.2")
    with pytest.raises(ChangeFailed) as e:
        run_set(lab, 3)
    assert "VF 1 (0000:01:10.2) bound to vfio-pci" in e.value.message
    assert "--force" in e.value.fix
    assert lab.kernel.log == [] and lab.kernel.numvfs("enp1s0") == 7


def test_force_takes_the_vfs_anyway(lab):
    lab = lab(7)
    bind_vfio(lab, "0000:01:10.2")
    plan = run_set(lab, 3, force=True)
    assert lab.kernel.numvfs("enp1s0") == 3
    assert any("--force" in n for n in plan.notes)


def test_a_failed_forced_resize_puts_vfio_vfs_back_on_vfio(lab):
    """Re-creation binds every VF to igbvf: the undo of the 0 must rebind the DPDK VF."""
    lab = lab(7)
    bind_vfio(lab, "0000:01:10.2")
    lab.kernel.fail[("sriov_numvfs", "3")] = errno.ENOMEM
    with pytest.raises(ChangeFailed) as e:
        run_set(lab, 3, force=True)
    assert "now: enp1s0 has 7 VFs" in e.value.message
    assert lab.kernel.driver_of("0000:01:10.2") == "vfio-pci"
    assert lab.kernel.driver_of("0000:01:10.0") == "igbvf"


def test_upper_devices_and_libvirt_domains_count_as_users(lab):
    lab = lab(7)
    net = lab.root / "sys/class/net/enp1s0v2"
    (net.resolve() / "upper_macvtap0").symlink_to("../../../../virtual/net/macvtap0")
    xml = lab.root / "run/libvirt/qemu/instance-00000001.xml"
    xml.parent.mkdir(parents=True)
    xml.write_text("<domstatus><domain type='kvm'><name>instance-00000001</name><devices>"
                   "<hostdev mode='subsystem' type='pci' managed='yes'><source>"
                   "<address domain='0x0000' bus='0x01' slot='0x11' function='0x0'/>"
                   "</source></hostdev></devices></domain></domstatus>")
    with pytest.raises(ChangeFailed) as e:
        run_set(lab, 0)
    assert "VF 2 (0000:01:10.4) has macvtap0 on top of enp1s0v2" in e.value.message
    assert "VF 4 (0000:01:11.0) is assigned to running libvirt domain 'instance-00000001'" \
        in e.value.message


def test_enomem_is_explained_and_the_old_count_and_settings_come_back(lab):
    lab = lab(7)
    lab.netlink.set_vf("enp1s0", 0, {"mac": "fa:16:3e:fe:47:d2", "vlan": 1000, "qos": 0,
                                     "trust": True})
    lab.kernel.mirror_now()
    lab.kernel.fail[("sriov_numvfs", "5")] = errno.ENOMEM
    with pytest.raises(ChangeFailed) as e:
        run_set(lab, 5)
    assert "ENOMEM" in e.value.message and "pci=realloc" in e.value.fix
    assert "now: enp1s0 has 7 VFs" in e.value.message
    assert lab.kernel.numvfs("enp1s0") == 7
    vf0 = lab.netlink.vfs("enp1s0")[0]
    assert (vf0.mac, vf0.vlan, vf0.trust) == ("fa:16:3e:fe:47:d2", 1000, True)


def test_a_vf_netdev_that_never_appears_times_out_and_rolls_back(lab):
    lab = lab(0)
    lab.kernel.delay_netdevs = True  # and never released
    with pytest.raises(ChangeFailed) as e:
        run_set(lab, 2, timeout=5)
    assert "not done after 5 s" in e.value.message and "0/2 VF netdevs" in e.value.message
    assert "now: enp1s0 has 0 VFs" in e.value.message
    assert lab.kernel.numvfs("enp1s0") == 0
    assert any("waiting for 2 VFs" in s for s in lab.said)  # progress while waiting


def test_sigint_during_the_wait_rolls_back_to_the_old_count(lab):
    lab = lab(7)
    lab.netlink.set_vf("enp1s0", 3, {"trust": True})
    lab.kernel.mirror_now()
    # the VFs appear only after a while; the operator presses Ctrl-C meanwhile
    lab.kernel.delay_netdevs = True
    lab.env.clock.at[0.5] = lambda: lab.env.guard.interrupt("SIGINT")
    lab.env.clock.at[2.0] = lab.kernel.release_netdevs
    with pytest.raises(Interrupted) as e:
        run_set(lab, 3)
    assert e.value.exit_code == 130
    assert "interrupted by SIGINT during 'enp1s0: wait for 3" in e.value.message
    assert "now: enp1s0 has 7 VFs" in e.value.message
    assert lab.kernel.numvfs("enp1s0") == 7
    assert lab.netlink.vfs("enp1s0")[3].trust is True


def test_autoprobe_is_written_before_the_vfs_are_created(lab):
    lab = lab(0)
    run_set(lab, 2, autoprobe=False)
    assert [p.rsplit("/", 1)[1] + "=" + v for p, v in lab.kernel.log] == [
        "sriov_drivers_autoprobe=0", "sriov_numvfs=2"]
    assert lab.kernel.driver_of("0000:01:10.0") is None


def bind_vfio(lab, address):
    base = f"/sys/bus/pci/devices/{address}"
    (lab.root / "sys/bus/pci/drivers/vfio-pci").mkdir(parents=True, exist_ok=True)
    lab.kernel.write(f"{base}/driver_override", "vfio-pci")
    lab.kernel.write(f"{base}/driver/unbind", address)
    lab.kernel.write("/sys/bus/pci/drivers_probe", address)
    lab.kernel.log.clear()


def test_the_wait_includes_udev_finishing_with_the_vf_netdevs(lab):
    lab = lab(0)
    (lab.root / "run/udev").mkdir(parents=True)
    (lab.root / "run/udev/control").write_text("")
    lab.kernel.udev_names = ["enp1s0v1"]  # udev is slow with this one
    lab.env.clock.at[3.0] = lambda: lab.kernel.udev_done("enp1s0v1")
    run_set(lab, 2)
    assert any("udev still handling enp1s0v1" in s for s in lab.said)
    assert lab.env.clock.t >= 3.0

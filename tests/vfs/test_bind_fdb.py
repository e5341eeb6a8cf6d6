"""Binding a VF to vfio-pci and back; FDB entries."""

from __future__ import annotations

import errno

import pytest

from sriovctl.changes.executor import execute
from sriovctl.changes.fakes import FakeNetlink
from sriovctl.errors import ChangeFailed, InputError
from sriovctl.vfs.binding import find_vf, plan_bind
from sriovctl.vfs.fdb import normalize_macs, plan_fdb


def bind(lab, spec, driver, **kw):
    host = lab.host()
    plan = plan_bind(lab.env, host, find_vf(host, spec), driver, **kw)
    execute(plan, lab.env.say, lab.env.guard)
    return plan


def test_bind_to_vfio_and_back_through_driver_override(lab):
    lab = lab(7)
    (lab.root / "sys/bus/pci/drivers/vfio-pci").mkdir()
    bind(lab, "enp1s0/1", "vfio-pci")
    assert lab.kernel.driver_of("0000:01:10.2") == "vfio-pci"
    assert [(p.rsplit("/", 1)[1], v) for p, v in lab.kernel.log] == [
        ("driver_override", "vfio-pci"), ("unbind", "0000:01:10.2"),
        ("drivers_probe", "0000:01:10.2")]
    bind(lab, "0000:01:10.2", "default")
    assert lab.kernel.driver_of("0000:01:10.2") == "igbvf"
    assert (lab.root / "sys/bus/pci/devices/0000:01:10.2/driver_override").read_text() == \
        "(null)\n"
    assert lab.host().devices["0000:01:10.2"].netdevs == ("enp1s0v1",)


def test_bind_loads_vfio_pci_when_missing_and_notes_an_existing_binding(lab):
    lab = lab(7)
    lab.env.commands.results["modprobe"] = (0, "", "")
    lab.kernel.hooks.append(lambda path, value: (lab.root / "sys/bus/pci/drivers/vfio-pci")
                            .mkdir(exist_ok=True))
    bind(lab, "enp1s0v3", "vfio-pci")
    assert lab.env.commands.log == [["modprobe", "vfio-pci"]]
    plan = bind(lab, "enp1s0/3", "vfio-pci")
    assert not plan and plan.notes == ["0000:01:10.6 is already bound to vfio-pci"]


def test_a_failed_probe_puts_the_vf_back_on_its_driver(lab):
    lab = lab(7)
    (lab.root / "sys/bus/pci/drivers/vfio-pci").mkdir()
    lab.kernel.fail[("drivers_probe", "0000:01:10.0")] = errno.ENODEV
    with pytest.raises(ChangeFailed) as e:
        bind(lab, "enp1s0/0", "vfio-pci")
    assert "ENODEV" in e.value.message and "modprobe vfio-pci" in e.value.fix
    assert lab.kernel.driver_of("0000:01:10.0") == "igbvf"


def test_a_vf_with_an_upper_device_is_not_rebound_without_force(lab):
    lab = lab(7)
    (lab.root / "sys/bus/pci/drivers/vfio-pci").mkdir()
    net = (lab.root / "sys/class/net/enp1s0v0").resolve()
    (net / "upper_bond0").symlink_to("../../../../virtual/net/bond0")
    with pytest.raises(ChangeFailed, match="has bond0 on top of enp1s0v0"):
        bind(lab, "enp1s0v0", "vfio-pci")
    bind(lab, "enp1s0v0", "vfio-pci", force=True)


def test_unknown_vf_is_an_input_error(lab):
    lab = lab(2)
    with pytest.raises(InputError, match="no VF 'enp1s0/5'"):
        find_vf(lab.host(), "enp1s0/5")


def test_fdb_add_is_idempotent_and_del_undoes_on_failure(lab):
    lab = lab(0)
    nl = FakeNetlink()
    lab.env.netlink = nl
    execute(plan_fdb(lab.env, "enp1s0", normalize_macs(("FA:16:3E:11:22:33",)), True))
    plan = plan_fdb(lab.env, "enp1s0", ["fa:16:3e:11:22:33", "fa:16:3e:44:55:66"], True)
    assert plan.notes == ["enp1s0: fa:16:3e:11:22:33 already in the FDB"]
    execute(plan)
    assert [e.mac for e in nl.fdb("enp1s0")] == ["fa:16:3e:11:22:33", "fa:16:3e:44:55:66"]
    plan = plan_fdb(lab.env, "enp1s0", ["fa:16:3e:11:22:33", "fa:16:3e:44:55:66"], False)
    orig = nl.fdb_del
    calls = []

    def flaky(dev, mac):
        calls.append(mac)
        if len(calls) == 2:
            raise OSError(errno.EINVAL, "Invalid argument")
        orig(dev, mac)

    nl.fdb_del = flaky
    with pytest.raises(ChangeFailed, match="EINVAL"):
        execute(plan)
    assert len(nl.fdb("enp1s0")) == 2  # the first delete was undone


def test_fdb_accepts_multicast_but_not_garbage():
    assert normalize_macs(("01:00:5E:00:00:01",)) == ["01:00:5e:00:00:01"]
    with pytest.raises(InputError):
        normalize_macs(("nope",))

"""apply on a fake kernel: the plan runs, the host is read back, a second apply does nothing,
and a failure, a mismatch or an interrupt at any point leaves the host as it was."""

from __future__ import annotations

import dataclasses
import errno
import json

import pytest
from sitehost import SPEC, VF, Host

from sriovctl.changes.executor import Interrupted, execute
from sriovctl.errors import ChangeFailed, InputError
from sriovctl.openstack.nova import DeviceSpecList, StaticHost
from sriovctl.site.apply import apply_host
from sriovctl.site.plan import PHASES, plan_host
from sriovctl.site.spec import parse_site

SITE = parse_site(SPEC, "site.yaml")


def snapshot(h: Host) -> dict:
    return {"numvfs": h.kernel.numvfs("enp1s0"),
            "files": {p: h.file(p) for p in ("/etc/nova/nova.conf",
                                              "/etc/neutron/plugins/ml2/sriov_agent.ini")},
            "state": (h.root / "etc/sriovctl/vfs.json").exists()}


def test_the_plan_is_in_the_safe_order(host):
    plan = plan_host(SITE, host.env)
    phases = [c.phase for c in plan.changes]
    assert phases == sorted(phases, key=PHASES.index)
    assert phases == ["vf-count", "vf-settings", "driver", "persistence", "openstack-config",
                      "openstack-config", "services", "services"]
    assert not plan.problems and not plan.reboot_required
    assert snapshot(host)["numvfs"] == 0 and not host.kernel.log  # nothing written


def test_apply_makes_the_host_match_then_a_second_apply_changes_nothing(host):
    result = apply_host(SITE, host.env)
    assert result.changed
    assert result.message.startswith("compute-0 now matches site.yaml: 6 change(s) made, "
                                     "2 service(s) restarted")
    assert host.kernel.numvfs("enp1s0") == 6
    assert all(host.vf(i).trust and not host.vf(i).spoofchk for i in range(4))
    assert host.vf(5).trust is False  # VF 5 is in no group: left as the driver made it
    assert host.kernel.driver_of(VF[4]) == "vfio-pci"
    assert host.kernel.driver_of(VF[0]) == "igbvf"
    state = json.loads(host.file("/etc/sriovctl/vfs.json"))
    assert state["pfs"]["0000:01:00.0"]["numvfs"] == 6
    assert state["pfs"]["0000:01:00.0"]["vfs"]["0"] == {"spoofchk": False, "trust": True}
    assert state["pfs"]["0000:01:00.0"]["vfio"] == [4]  # re-bound at boot, as the spec says
    agent = host.file("/etc/neutron/plugins/ml2/sriov_agent.ini")
    assert "physical_device_mappings = physnet9:enp7s0,physnet1:enp1s0" in agent
    assert f"exclude_devices = enp1s0:{VF[5]}" in agent
    assert host.env.commands.log[-2:] == [["systemctl", "restart", "nova-compute"],
                                          ["systemctl", "restart", "neutron-sriov-agent"]]
    again = apply_host(SITE, host.env)
    assert not again.changed
    assert again.message == "compute-0 already matches site.yaml: nothing changed"


def test_what_the_boot_apply_restores_matches_the_site(host):
    """A reboot, as far as the VFs go: they vanish; the state file brings them back."""
    from sriovctl.vfs.drift import plan_apply
    from sriovctl.vfs.state import load_state

    apply_host(SITE, host.env)
    host.kernel.write("/sys/bus/pci/devices/0000:01:00.0/sriov_numvfs", "0")
    plan, skipped = plan_apply(host.env, load_state(host.env.files), host.env.host())
    execute(plan, host.env.say, host.env.guard)
    assert not skipped and host.kernel.driver_of(VF[4]) == "vfio-pci"
    assert not plan_host(SITE, host.env).changes


def test_nova_reads_the_device_spec_as_meant(host):
    apply_host(SITE, host.env)
    nova = host.file("/etc/nova/nova.conf")
    assert '{"vendor_id": "10de", "product_id": "1eb8"}' in nova  # not the site's: kept
    values = [line.split("=", 1)[1].strip() for line in nova.splitlines()
              if line.startswith("device_spec")]
    specs = DeviceSpecList(values, host=StaticHost(physical_functions=frozenset()))
    for index, address in enumerate(VF):
        vf = {"address": address, "vendor_id": "8086", "product_id": "10ca",
              "dev_type": "type-VF", "parent_addr": "0000:01:00.0", "numa_node": None}
        match = specs.first_match(vf)
        if index == 5:
            assert match is None or match.tags.get("physical_network") is None
        else:
            assert match.tags["physical_network"] == "physnet1"
            assert (match.tags.get("trusted") == "true") == (index < 4)


def test_a_failure_rolls_back_everything(host):
    before = snapshot(host)
    host.kernel.fail[("drivers_probe", VF[4])] = errno.ENODEV  # binding VF 4 fails
    with pytest.raises(ChangeFailed) as e:
        apply_host(SITE, host.env)
    text = e.value.message
    assert "binding to vfio-pci failed: ENODEV" in text and "rolled back" in text
    assert text.endswith("now: compute-0 is as it was before the apply")
    assert snapshot(host) == before


def test_a_host_that_does_not_read_back_as_specified_is_rolled_back(host):
    def driver_resets_vf0(path: str, value: str) -> None:
        # an igb quirk: rebinding one VF resets another's settings (as a PF reset would)
        if path.endswith("drivers_probe"):
            table = host.kernel.netlink.vf_table["enp1s0"]
            table[0] = dataclasses.replace(table[0], trust=False)
            host.kernel.mirror_now()

    host.kernel.hooks.append(driver_resets_vf0)
    before = snapshot(host)
    with pytest.raises(ChangeFailed) as e:
        apply_host(SITE, host.env)
    text = e.value.message
    assert "compute-0 does not match the spec after the changes: vf-settings enp1s0" in text
    assert text.endswith("now: compute-0 is as it was before the apply")
    assert snapshot(host) == before


@pytest.mark.parametrize("at", ["sriov_numvfs", "drivers_probe"])
def test_an_interrupt_rolls_back_and_says_so(host, at):
    def interrupt(path: str, value: str) -> None:
        if path.endswith(at):
            host.env.guard.interrupt("SIGTERM")

    host.kernel.hooks.append(interrupt)
    before = snapshot(host)
    with pytest.raises(Interrupted) as e:
        apply_host(SITE, host.env)
    assert e.value.exit_code == 130
    text = e.value.message
    assert text.startswith("interrupted by SIGTERM")
    assert text.endswith("now: compute-0 is as it was before the apply")
    assert snapshot(host) == before


def full_state(h: Host) -> dict:
    """Everything the spec governs: counts, each VF's settings and driver, the files."""
    n = h.kernel.numvfs("enp1s0")
    return {**snapshot(h), "vfs": [(h.vf(i), h.kernel.driver_of(VF[i])) for i in range(n)]}


def test_an_interrupt_at_every_step_ends_as_before_or_as_specified_and_says_which(tmp_path):
    """The issue's promise, step by step: SIGINT as step k starts, for every k."""
    from sitehost import make_host

    outcomes, k = [], 0
    while True:
        k += 1
        h = make_host(tmp_path / f"k{k}")
        before = full_state(h)

        def say(line: str, h=h, k=k) -> None:
            h.said.append(line)
            if line.startswith(f"[{k}/"):
                h.env.guard.interrupt("SIGINT")

        h.env.say = say
        try:
            result = apply_host(SITE, h.env)
        except Interrupted as e:
            assert e.message.endswith("now: compute-0 is as it was before the apply"), \
                (k, e.message)
            assert full_state(h) == before, k
            outcomes.append("before")
            continue
        assert result.changed
        assert not plan_host(SITE, h.env).host_changes(), k  # as specified
        outcomes.append("specified")
        if not any(line.startswith(f"[{k}/") for line in h.said):
            break  # k is past the last step: this apply ran uninterrupted
    steps = len(outcomes) - 1
    assert steps >= 10 and outcomes[:-2] == ["before"] * (steps - 1)
    assert outcomes[-2:] == ["specified", "specified"]  # the last step's signal: kept


def test_an_interrupt_during_the_last_step_keeps_the_finished_change(host):
    host.env.commands.hooks["systemctl restart neutron-sriov-agent"] = \
        lambda: host.env.guard.interrupt("SIGINT")
    result = apply_host(SITE, host.env)
    assert result.changed and host.kernel.numvfs("enp1s0") == 6
    assert any("the change is complete, nothing rolled back" in s for s in host.said)


def test_a_rollback_restarts_services_that_saw_the_new_files(host):
    def fail() -> None:
        raise OSError(errno.EIO, "unit failed")

    host.env.commands.hooks["systemctl restart neutron-sriov-agent"] = fail
    before = snapshot(host)
    with pytest.raises(ChangeFailed) as e:
        apply_host(SITE, host.env)
    assert snapshot(host) == before
    # it fails with the old files too: the operator is told the new ones are not the cause
    assert "neutron-sriov-agent does not start with the previous files either" in \
        e.value.message
    assert "INCOMPLETE" not in e.value.message  # everything sriovctl changed was undone
    assert e.value.fix == "see why it did not start: journalctl -u neutron-sriov-agent -n 50"
    restarts = [" ".join(a) for a in host.env.commands.log if a[:2] == ["systemctl", "restart"]]
    # nova-compute read the new nova.conf: it is restarted again after the old one is back
    assert restarts == ["systemctl restart nova-compute", "systemctl restart neutron-sriov-agent",
                        "systemctl restart nova-compute", "systemctl restart neutron-sriov-agent"]


def test_vfs_in_use_block_a_resize_unless_forced(tmp_path):
    from sitehost import make_host

    h = make_host(tmp_path / "root", num=3)
    (h.root / "sys/bus/pci/drivers/vfio-pci").mkdir(exist_ok=True)
    h.kernel.write("/sys/bus/pci/devices/0000:01:10.2/driver_override", "vfio-pci")
    h.kernel.write("/sys/bus/pci/drivers/igbvf/unbind", "0000:01:10.2")
    h.kernel.write("/sys/bus/pci/drivers_probe", "0000:01:10.2")
    plan = plan_host(SITE, h.env)
    assert any("vf-count enp1s0: refusing to change enp1s0 from 3 to 6 VFs" in p
               for p in plan.problems)
    with pytest.raises(ChangeFailed, match="cannot apply site.yaml: vf-count enp1s0"):
        apply_host(SITE, h.env)
    assert h.kernel.numvfs("enp1s0") == 3
    assert apply_host(SITE, h.env, force=True).changed
    assert h.kernel.numvfs("enp1s0") == 6


def test_a_spec_that_does_not_fit_the_host_is_refused_before_anything_runs(host):
    wrong = parse_site(SPEC.replace("enp1s0#0-3", "ens9f0#0-3"), "site.yaml")
    with pytest.raises(InputError) as e:
        apply_host(wrong, host.env)
    assert "site.yaml:9 groups[0] 'tenant': selects no PF on compute-0 (pf_names " \
           "ens9f0#0-3); its PFs: enp1s0 (0000:01:00.0) [8086:10c9]" in e.value.one_line()
    assert not host.kernel.log

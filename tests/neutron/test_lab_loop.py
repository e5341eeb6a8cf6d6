"""The whole loop on a real VF: the real SR-IOV agent in the lab guest, neutron on the host.

The guest (QEMU igb, kernel's igb/igbvf drivers) mounts neutron's site-packages over 9p
and runs ``neutron-sriov-nic-agent`` with its own python3 on the PF, talking to the host's
RabbitMQ and API through QEMU user networking's ``guestfwd`` (10.0.2.100:5672 and :9696,
each connection relayed to the host's 127.0.0.1; the guest stays ``restrict=on``).
lab_side/drive.py then does what nova and libvirt do for a direct port and waits until
the real agent reports the VF up and neutron says ACTIVE.

The share and the forwards are MachineSpec's `shares` and `forwards` (see the README, "The
whole loop ... in the lab").
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import pytest
from realneutron import VENV

HERE = Path(__file__).parent
GUEST_ADDR = "10.0.2.100"


def site_packages() -> Path:
    return next((VENV / "lib").glob("python3*/site-packages"))


def loop_to_host(amqp_port: int, api_port: int) -> dict:
    """The neutron share and a guestfwd per service, relayed to the host's 127.0.0.1."""
    relay = HERE / "neutron_side" / "relay.py"
    return {"shares": (("neutron", site_packages()),),
            "forwards": tuple((f"{GUEST_ADDR}:{guest_port}",
                               f"{sys.executable} {relay} {host_port}")
                              for guest_port, host_port in ((5672, amqp_port),
                                                            (9696, api_port)))}


@pytest.mark.lab
def test_a_direct_port_goes_active_on_a_real_vf(neutron_stack, neutron_summary):
    from sriovctl.lab import machine, runner

    files = {name: HERE / "lab_side" / name for name in ("drive.py",)}
    script = (HERE / "lab_side" / "guest.sh").read_text()
    started = time.monotonic()
    spec = machine.MachineSpec(memory_mib=2048, **loop_to_host(neutron_stack.amqp_port,
                                                               neutron_stack.api_port))
    result = runner.run(script, spec, files=files, timeout=1500, accel="auto")
    elapsed = time.monotonic() - started
    out = result.run_dir / "result.json"
    assert out.exists(), f"no result; guest output and agent.log in {result.run_dir}"
    found = json.loads(out.read_text())
    neutron_summary.append(
        f"lab loop: port ACTIVE on a real VF; whole run {elapsed:.0f} s (boot + agent up "
        f"{found['times']['agent alive']} s after the script's start, bind to ACTIVE "
        f"{found['times']['bind to ACTIVE']} s); run dir {result.run_dir}")
    assert found["status"] == "ACTIVE"
    assert found["vif_type"] == "hw_veb"

"""In the lab guest, once the agent runs: do what nova and libvirt do for a direct port.

Waits for this host's NIC Switch agent to be alive in the host's neutron, creates a VLAN
network and a direct port, binds it here with VF 0's PCI address in binding:profile,
sets VF 0's MAC and VLAN through the PF as libvirt does for <interface type='hostdev'>,
and waits until the real agent has reported the device up and the port is ACTIVE.
Writes result.json into the lab share. Python 3 standard library only (the guest's).
Usage: python3 drive.py PF
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

API = "http://10.0.2.100:9696/v2.0"
HOST = "lab-guest"


def call(method: str, path: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(API + path, data, {"Content-Type": "application/json"},
                                 method=method)
    with urllib.request.urlopen(req, timeout=120) as r:
        raw = r.read()
        return json.loads(raw) if raw else {}


def wait(what: str, check, timeout: float, started: float) -> object:
    last = 0.0
    while True:
        try:
            value = check()
        except (OSError, urllib.error.URLError) as e:
            value = None
            note = str(e)
        else:
            note = ""
        if value:
            return value
        now = time.monotonic()
        if now - started > timeout:
            raise SystemExit(f"drive: {what}: not after {timeout:.0f} s {note}")
        if now - last > 15:
            print(f"drive: waiting for {what} ({now - started:.0f} s) {note}", flush=True)
            last = now
        time.sleep(2)


def hand_to_guest(pf: str, vf_slot: str, mac: str, vlan: object) -> None:
    """What libvirt does for <interface type='hostdev'> with nova's <mac> and <vlan>: set
    both through the PF, then take the VF from its host driver for vfio-pci. The agent
    counts a VF as assigned only when it has no netdev on the host any more."""
    subprocess.run(["ip", "link", "set", pf, "vf", "0", "mac", mac], check=True)
    subprocess.run(["ip", "link", "set", pf, "vf", "0", "vlan", str(vlan)], check=True)
    dev = f"/sys/bus/pci/devices/{vf_slot}"
    subprocess.run(["modprobe", "vfio-pci"], check=False)
    with open(f"{dev}/driver_override", "w") as f:
        f.write("vfio-pci")
    if os.path.exists(f"{dev}/driver"):
        with open(f"{dev}/driver/unbind", "w") as f:
            f.write(vf_slot)
    try:
        with open("/sys/bus/pci/drivers_probe", "w") as f:
            f.write(vf_slot)
    except OSError as e:  # no vfio-pci in the image: unbound is what the agent looks at
        print(f"drive: vfio-pci did not take {vf_slot}: {e}", flush=True)
    driver = os.path.basename(os.readlink(f"{dev}/driver")) if os.path.exists(
        f"{dev}/driver") else "none"
    print(f"drive: VF {vf_slot} mac {mac} vlan {vlan}, driver {driver}", flush=True)


def main() -> int:
    pf = sys.argv[1]
    t0 = time.monotonic()
    times: dict[str, float] = {}

    def alive():
        agents = call("GET", f"/agents?host={HOST}")["agents"]
        return any(a["alive"] for a in agents)

    wait("the agent alive in neutron", alive, 900, t0)
    times["agent alive"] = round(time.monotonic() - t0, 1)
    print(f"drive: agent alive after {times['agent alive']} s", flush=True)
    net = call("POST", "/networks", {"network": {
        "name": "lab-loop", "provider:network_type": "vlan",
        "provider:physical_network": "sriovnet1"}})["network"]
    try:
        call("POST", "/subnets", {"subnet": {"network_id": net["id"], "ip_version": 4,
                                             "cidr": "192.0.2.0/24", "enable_dhcp": False}})
        port = call("POST", "/ports", {"port": {"network_id": net["id"], "name": "lab-loop",
                                                "binding:vnic_type": "direct"}})["port"]
        vf_slot = os.path.basename(os.readlink(f"/sys/class/net/{pf}/device/virtfn0"))
        t1 = time.monotonic()
        bound = call("PUT", f"/ports/{port['id']}", {"port": {
            "binding:host_id": HOST, "device_owner": "compute:nova",
            "device_id": "0c5d4a3e-0000-4000-8000-000000000001",
            "binding:profile": {"pci_slot": vf_slot, "physical_network": "sriovnet1",
                                "pci_vendor_info": "8086:10ca"}}})["port"]
        vlan = bound["binding:vif_details"].get("vlan")
        print(f"drive: bound {bound['binding:vif_type']} vlan {vlan} on VF {vf_slot}",
              flush=True)
        hand_to_guest(pf, vf_slot, port["mac_address"], vlan)
        status = wait("the port ACTIVE", lambda: call("GET", f"/ports/{port['id']}")["port"][
            "status"] == "ACTIVE" and "ACTIVE", 600, t1)
        times["bind to ACTIVE"] = round(time.monotonic() - t1, 1)
        final = call("GET", f"/ports/{port['id']}")["port"]
        result = {"status": status and final["status"], "vif_type": final["binding:vif_type"],
                  "vif_details": final["binding:vif_details"], "vf": vf_slot,
                  "mac": final["mac_address"], "times": times}
        print(f"drive: {json.dumps(result)}", flush=True)
        with open("/mnt/lab/result.json", "w") as f:
            json.dump(result, f)
        call("DELETE", f"/ports/{port['id']}")
    finally:
        call("DELETE", f"/networks/{net['id']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

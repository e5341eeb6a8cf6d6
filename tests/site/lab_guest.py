"""Runs INSIDE the lab guest, booted with systemd: a site spec applied to a real kernel and
a real service manager, by `sriovctl apply` and by Ansible. Facts go to site-facts.json;
the host-side tests (test_site_lab.py) assert on them. This script asserts nothing.

The OpenStack services are stand-in units (sleep), so `systemctl restart` is real and its
effect visible (a new InvocationID) without nova or neutron in the image.

Order (each step starts from the state the previous one left):
  plan            fresh boot, 0 VFs: what apply would do
  modprobe_fault  vfio-pci cannot load (modprobe.d `install vfio-pci /bin/false`): the plan
                  fails after the VFs were created; rolled back to 0 VFs, no files
  apply           7 VFs, settings, VFs 5-6 on vfio-pci, state file + unit, nova/neutron
                  files, units restarted
  again           a second apply changes nothing
  refused         a resize while VFs sit on vfio-pci, without --force: refused, untouched
  interrupted     the same resize with --force, SIGINT as the VFs are re-created
  restart_fault   a VLAN range change whose neutron-server restart fails: rolled back
  ansible_*       the collection's playbook under Debian's ansible-core: check, apply, again
  reboot          `systemctl reboot` (same disk overlay); at boot sriovctl-vfs.service
                  re-creates the VFs from the state file; then the unit's status, the
                  host, and what a fresh plan still wants
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, "/mnt/src/tests/lab")
from guestlib import SRC, cli, sh  # noqa: E402 - from the source share

PF = "enp1s0"
DEV = f"/sys/class/net/{PF}/device"
UNITS = ("nova-compute", "neutron-sriov-agent", "neutron-server", "nova-scheduler")
FILES = ("/etc/nova/nova.conf", "/etc/neutron/plugins/ml2/sriov_agent.ini",
         "/etc/neutron/plugins/ml2/ml2_conf.ini", "/etc/sriovctl/vfs.json")
BLOCK_VFIO = "/etc/modprobe.d/lab-no-vfio.conf"
REBOOTED = "rebooted"  # in the run directory (the lab share), so the second boot sees it
SITE = """\
version: 1
openstack:
  release: "2024.1"
physnets:
  physnet1:
    network_type: vlan
    vlan_ranges: ["{vlans}"]
kernel:
  iommu: true
roles:
  compute:
    hosts: ["sriovlab"]
    services: [nova-compute, neutron-sriov-agent]
  controller:
    hosts: ["sriovlab"]
  scheduler:
    hosts: ["sriovlab"]
groups:
{groups}"""
SPLIT = """\
  - name: lab-tenant
    hosts: ["sriovlab"]
    nics:
      pf_names: ["enp1s0#0-4"]
      vendor: "8086"
      device: "10c9"
    physnet: physnet1
    num_vfs: 7
    vf:
      spoofchk: true
      trust: {trust}
  - name: lab-dpdk
    hosts: ["sriovlab"]
    nics:
      pf_names: ["enp1s0#5-6"]
    physnet: physnet1
    num_vfs: 7
    driver: vfio-pci
"""
RESIZED = """\
  - name: lab-all
    hosts: ["sriovlab"]
    nics:
      pf_names: ["enp1s0"]
    physnet: physnet1
    num_vfs: 4
"""
facts: dict = {}


def save() -> None:
    with open("site-facts.json", "w") as f:
        json.dump(facts, f, indent=1)


def write_site(name: str, vlans: str = "1000:1099", groups: str = "", trust: str = "true"
               ) -> str:
    with open(name, "w") as f:
        f.write(SITE.format(vlans=vlans, groups=groups or SPLIT.format(trust=trust)))
    return name


def run(*argv: str, env: dict | None = None, timeout: float = 900) -> dict:
    started = time.monotonic()
    p = subprocess.run(argv, capture_output=True, text=True, check=False, env=env,
                       timeout=timeout)
    return {"rc": p.returncode, "out": p.stdout, "err": p.stderr,
            "seconds": round(time.monotonic() - started, 1)}


def view() -> dict:
    """The host as the kernel, systemd and the filesystem say, not as sriovctl reads it."""
    with open(f"{DEV}/sriov_numvfs") as f:
        numvfs = int(f.read())
    links = json.loads(sh("ip", "-j", "-d", "link", "show", PF) or "[{}]")
    settings = {v["vf"]: v for v in links[0].get("vfinfo_list", [])}
    vfs = []
    for i in range(numvfs):
        driver = f"{DEV}/virtfn{i}/driver"
        vf = settings.get(i, {})
        vfs.append({"driver": os.path.basename(os.readlink(driver))
                    if os.path.islink(driver) else None,
                    "spoofchk": vf.get("spoofchk"), "trust": vf.get("trust")})
    files = {}
    for path in FILES:
        try:
            with open(path) as f:
                files[path] = f.read()
        except FileNotFoundError:
            files[path] = None
    return {"numvfs": numvfs, "vfs": vfs, "files": files,
            "units": {u: sh("systemctl", "show", "-p", "InvocationID", "--value", u).strip()
                      for u in UNITS},
            "vfs_unit": sh("systemctl", "is-enabled", "sriovctl-vfs.service").strip()}


def step(name: str, fn) -> None:
    try:
        facts[name] = {**fn(), "after": view()}
    except Exception as e:  # noqa: BLE001 - record it; the host-side test reports it
        import traceback

        facts[name] = {"exception": traceback.format_exc(limit=6), "error": repr(e)}
    save()


def stand_in_units() -> None:
    for unit in UNITS:
        with open(f"/etc/systemd/system/{unit}.service", "w") as f:
            f.write(f"[Unit]\nDescription=stand-in for {unit}\n[Service]\n"
                    "ExecStart=/bin/sleep infinity\n")
    sh("systemctl", "daemon-reload")
    sh("systemctl", "start", *UNITS)


def modprobe_fault() -> dict:
    with open(BLOCK_VFIO, "w") as f:
        f.write("install vfio-pci /bin/false\n")
    try:
        return cli("apply", "-f", write_site("site.yaml"))
    finally:
        os.unlink(BLOCK_VFIO)


def interrupted() -> dict:
    """A real process, SIGINT once the resize has started re-creating the VFs."""
    env = dict(os.environ, PYTHONPATH=SRC)
    spec = write_site("site-resize.yaml", groups=RESIZED)
    proc = subprocess.Popen([sys.executable, "-m", "sriovctl", "apply", "-f", spec, "--force"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    lines, sent = [], None
    assert proc.stderr is not None
    for line in proc.stderr:
        lines.append(line.rstrip("\n"))
        if sent is None and "sriov_numvfs -> 4" in line:
            proc.send_signal(signal.SIGINT)
            sent = line.strip()
    out = proc.stdout.read() if proc.stdout else ""
    return {"rc": proc.wait(), "out": out, "err": "\n".join(lines), "signal_at": sent}


def restart_fault() -> dict:
    with open("/etc/systemd/system/neutron-server.service", "a") as f:
        f.write("ExecStartPre=/bin/false\n")
    sh("systemctl", "daemon-reload")
    try:
        return cli("apply", "-f", write_site("site-vlans.yaml", vlans="1000:1199"))
    finally:
        with open("/etc/systemd/system/neutron-server.service") as f:
            text = f.read().replace("ExecStartPre=/bin/false\n", "")
        with open("/etc/systemd/system/neutron-server.service", "w") as f:
            f.write(text)
        sh("systemctl", "daemon-reload")
        sh("systemctl", "start", "neutron-server")


def playbook(*args: str) -> dict:
    """The collection's own playbook, local connection, JSON callback; sriovctl importable
    from the source share as a pip install would make it."""
    collection = "/mnt/src/ansible/ansible_collections/sriovctl/sriov"
    with open("inventory.ini", "w") as f:
        f.write("[compute]\nsriovlab\n\n[all:vars]\nansible_connection=local\n"
                "ansible_python_interpreter=/usr/bin/python3\n")
    env = dict(os.environ, PYTHONPATH=SRC, ANSIBLE_COLLECTIONS_PATH="/mnt/src/ansible",
               ANSIBLE_STDOUT_CALLBACK="json",
               ANSIBLE_CALLBACK_PLUGINS=f"{collection}/plugins/callback",
               ANSIBLE_HOME="/root/.ansible", ANSIBLE_LOCAL_TEMP="/tmp/ansible-local",
               ANSIBLE_NOCOLOR="1", ANSIBLE_RETRY_FILES_ENABLED="0",
               ANSIBLE_DEPRECATION_WARNINGS="0")
    done = run("ansible-playbook", "-i", "inventory.ini", f"{collection}/playbooks/site.yml",
               "-e", f"sriov_site_file={os.getcwd()}/site-ansible.yaml", *args, env=env)
    try:
        done["json"] = json.loads(done.pop("out"))
    except ValueError:
        pass
    return done


def reboot() -> None:
    """Mark the run, reboot, and wait to be killed: lab-init must not report a result."""
    with open(REBOOTED, "w") as f:
        f.write(sh("cat", "/proc/sys/kernel/random/boot_id"))
    save()
    subprocess.run(["systemctl", "reboot"], check=False)
    time.sleep(3600)


def after_reboot() -> None:
    with open("site-facts.json") as f:
        facts.update(json.load(f))
    with open(REBOOTED) as f:
        first_boot = f.read()
    unit = "sriovctl-vfs.service"
    step("reboot", lambda: {
        "new_boot": sh("cat", "/proc/sys/kernel/random/boot_id") != first_boot,
        "unit": dict(line.split("=", 1) for line in sh(
            "systemctl", "show", "-p", "ActiveState", "-p", "Result", "-p", "ExecMainStatus",
            unit).splitlines() if "=" in line),
        "journal": sh("journalctl", "-b", "-u", unit, "--no-pager", "-o", "cat")[-3000:],
        # the ordering the unit promises (Before=network-pre.target), as systemd ran it
        "unit_done_us": sh("systemctl", "show", "-p", "ExecMainExitTimestampMonotonic",
                           "--value", unit).strip(),
        "network_pre_us": sh("systemctl", "show", "-p", "ActiveEnterTimestampMonotonic",
                             "--value", "network-pre.target").strip(),
        "plan": cli("plan", "-f", "site-ansible.yaml", "-f", "json")})


def main() -> None:
    if os.path.exists(REBOOTED):
        after_reboot()
        return
    facts["ansible_version"] = sh("ansible-playbook", "--version").splitlines()[:1]
    stand_in_units()
    facts["boot"] = view()
    save()
    step("plan", lambda: cli("plan", "-f", write_site("site.yaml"), "-f", "json"))
    step("modprobe_fault", modprobe_fault)
    step("apply", lambda: cli("apply", "-f", write_site("site.yaml"), "-f", "json"))
    step("again", lambda: cli("apply", "-f", "site.yaml"))
    step("refused", lambda: cli("apply", "-f", write_site("site-resize.yaml", groups=RESIZED)))
    step("interrupted", interrupted)
    step("restart_fault", restart_fault)
    write_site("site-ansible.yaml", trust="false")
    step("ansible_check", lambda: playbook("--check", "--diff"))
    step("ansible_apply", lambda: playbook())
    step("ansible_again", lambda: playbook())
    reboot()


if __name__ == "__main__":
    main()

"""The operator guide's §7 against a live cloud, step by step, leaving nothing behind.

1. NIC Switch agents: alive, and their ``device_mappings`` as the agent file says (--config).
2. A VLAN provider network on the physnet (the VLAN id given, or neutron picks one from
   ``network_vlan_ranges``), a subnet with a small pool and no DHCP (no DHCP port appears
   on the physnet), one port per vnic type.
3. Each port bound on the compute host as nova binds it: admin ``binding:host_id`` with a
   ``binding:profile`` carrying pci_slot, physical_network and pci_vendor_info, and
   ``device_owner``/``device_id``; or, with ``--boot``, a real server on nova.
4. vif_type ``hw_veb`` (``hostdev_physical`` for direct-physical) and vif_details ``vlan``
   checked, and every outcome compared with the twin's prediction for the same inputs.
Everything created is deleted in ``finally``, on failure and on Ctrl-C/SIGTERM too.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Callable, Optional

from sriovctl.verify.cleanup import NAME_PREFIX, TAG, Created, delete_all, sigterm_as_interrupt
from sriovctl.verify.cloud import Api, ApiError, segments_of
from sriovctl.verify.expect import Expectations, compare_mappings, vlan_in_ranges
from sriovctl.verify.predict import (
    HOST_NOT_COMPATIBLE,
    HOST_NOT_CONNECTED,
    Outcome,
    agrees,
    observed,
    predict,
)
from sriovctl.verify.report import Report

NIC_SWITCH = "NIC Switch agent"
#: API refusals the twin predicts; any other refusal is not a binding outcome.
KNOWN_REFUSALS = (HOST_NOT_COMPATIBLE, HOST_NOT_CONNECTED)
EXPECTED_VIF = {"direct": "hw_veb", "macvtap": "hw_veb", "direct-physical": "hostdev_physical"}


@dataclass(frozen=True)
class Options:
    host: Optional[str] = None
    physnet: Optional[str] = None
    vlan: Optional[int] = None
    vnic_types: tuple[str, ...] = ("direct",)
    cidr: str = "192.0.2.0/24"  # TEST-NET-1: documentation only, never routed anywhere
    pci_slot: str = "0000:00:00.0"
    pci_vendor_info: str = "8086:10ca"
    boot_image: Optional[str] = None
    boot_flavor: Optional[str] = None
    dry_run: bool = False
    expect: Expectations = field(default_factory=Expectations)


class Run:
    """One smoke test: the API, the options, the report, and what must be deleted."""

    def __init__(self, api: Api, cloud: str, opts: Options, progress: Callable[[str], None]):
        self.api, self.opts, self.progress = api, opts, progress
        self.report = Report(cloud, opts.dry_run)
        self.created = Created()
        self.run_id = uuid.uuid4().hex[:8]
        self.agents: list[dict] = []

    def name(self, what: str) -> str:
        return f"{NAME_PREFIX}{self.run_id}-{what}"

    # -- 1. agents ---------------------------------------------------------------------------
    def check_agents(self) -> tuple[Optional[str], Optional[str]]:
        """Report every NIC Switch agent (or --host's); return the host and physnet to test."""
        self.progress("listing agents")
        self.agents = self.api.agents()
        nic = [a for a in self.agents if a["agent_type"] == NIC_SWITCH]
        shown = [a for a in nic if not self.opts.host or a["host"] == self.opts.host]
        expected = self.opts.expect.device_mappings
        for a in shown:
            mappings = a.get("configurations", {}).get("device_mappings", {})
            text = ", ".join(f"{p}:{','.join(d)}" for p, d in sorted(mappings.items())) or "none"
            problems = compare_mappings(expected, mappings) if expected is not None else []
            # A dead agent fails the run on the host under test; elsewhere it is a warning.
            dead = "fail" if self.opts.host else "warn"
            status = "fail" if problems else (dead if not a["alive"] else "ok")
            detail = f"{'alive' if a['alive'] else 'DEAD'}; device_mappings {text}"
            self.report.add(f"agent {a['host']}", status, "; ".join([detail, *problems]))
        if not shown:
            where = f"on host {self.opts.host}" if self.opts.host else "in this cloud"
            self.report.add("agents", "fail", f"no NIC Switch agent {where}")
        host = self.opts.host or next(
            (a["host"] for a in nic if a["alive"] and self._maps(a, self.opts.physnet)), None)
        physnet = self.opts.physnet
        if physnet is None and host is not None:
            mine = [a for a in nic if a["host"] == host and a["alive"]]
            maps = sorted(mine[0]["configurations"].get("device_mappings", {})) if mine else []
            physnet = maps[0] if maps else None
        return host, physnet

    @staticmethod
    def _maps(agent: dict, physnet: Optional[str]) -> bool:
        mappings = agent.get("configurations", {}).get("device_mappings", {})
        return bool(mappings) and (physnet is None or physnet in mappings)

    def tag(self, kind: str, item_id: str) -> None:
        # Tagged after creation: neutron 29 refuses "tags" in a POST body. The name prefix
        # covers the moment in between.
        try:
            self.api.set_tag(kind, item_id, TAG)
        except ApiError as e:
            self.report.add("tag", "warn", f"cannot tag {kind} {item_id}: {e.message}")

    # -- 2. network, subnet ------------------------------------------------------------------
    def create_network(self, physnet: str) -> Optional[dict]:
        body = {"name": self.name("net"),
                "provider:network_type": "vlan", "provider:physical_network": physnet}
        if self.opts.vlan is not None:
            body["provider:segmentation_id"] = self.opts.vlan
            inside = vlan_in_ranges(self.opts.expect.vlan_ranges, physnet, self.opts.vlan)
            if inside is False:
                self.report.add("vlan", "warn", f"VLAN {self.opts.vlan} is outside "
                                f"network_vlan_ranges for {physnet} in the config files")
        self.progress(f"creating a VLAN network on {physnet}")
        try:
            net = self.api.post("/networks", {"network": body})["network"]
        except ApiError as e:
            self.report.add("network", "fail", e.message,
                            observed="refused", predicted=None)
            return None
        self.created.add("networks", net["id"])
        self.tag("networks", net["id"])
        self.report.add("network", "ok", f"{net['id']}: vlan {net.get('provider:segmentation_id')}"
                        f" on {physnet}")
        subnet = {"name": self.name("subnet"), "network_id": net["id"], "ip_version": 4,
                  "cidr": self.opts.cidr, "enable_dhcp": False, "gateway_ip": None,
                  "allocation_pools": [_pool(self.opts.cidr,
                                                            len(self.opts.vnic_types) + 1)]}
        self.progress("creating a subnet")
        sub = self.api.post("/subnets", {"subnet": subnet})["subnet"]
        pool = sub["allocation_pools"][0]
        self.report.add("subnet", "ok",
                        f"{sub['cidr']} pool {pool['start']}-{pool['end']}, no DHCP")
        return net

    # -- 3/4. ports, binding, comparison -----------------------------------------------------
    def profile(self, vnic_type: str, physnet: str, port: dict) -> dict:
        profile = {"pci_slot": self.opts.pci_slot, "physical_network": physnet,
                   "pci_vendor_info": self.opts.pci_vendor_info}
        if vnic_type == "direct-physical":
            # nova sends the PF's MAC for a whole PF; the port's own keeps the MAC as it is.
            profile["device_mac_address"] = port["mac_address"]
        return profile

    def bind(self, net: dict, host: str, physnet: str, vnic_type: str) -> None:
        self.progress(f"creating a {vnic_type} port")
        port = self.api.post("/ports", {"port": {
            "name": self.name(vnic_type), "network_id": net["id"],
            "binding:vnic_type": vnic_type}})["port"]
        self.created.add("ports", port["id"])
        self.tag("ports", port["id"])
        profile = self.profile(vnic_type, physnet, port)
        predicted = self.predict(net, port, host, vnic_type, profile)
        self.progress(f"binding the {vnic_type} port on {host}")
        update = {"binding:host_id": host, "binding:profile": profile,
                  "device_owner": "compute:nova", "device_id": str(uuid.uuid4())}
        step = f"bind {vnic_type} on {host}"
        try:
            port, error = self.api.put(f"/ports/{port['id']}", {"port": update})["port"], None
        except ApiError as e:
            port, error = port, e
        if error is not None and error.kind == "PolicyNotAuthorized":
            # Since 2023.2 neutron's default policy lets only the `service` role (nova's)
            # write binding:profile; an admin can still bind with the host alone.
            if vnic_type == "direct-physical":  # an empty profile makes neutron answer 500
                self.report.add(step, "skip", f"{error.message} — direct-physical needs "
                                "binding:profile: run with credentials that have the service role")
                return
            self.report.add("binding:profile", "warn", "not allowed for these credentials "
                            "(neutron gives it to the service role); binding with the host only")
            update.pop("binding:profile")
            try:
                port, error = self.api.put(f"/ports/{port['id']}", {"port": update})["port"], None
            except ApiError as e:
                error = e
        if error is not None and error.kind not in KNOWN_REFUSALS:
            self.report.add(step, "fail", error.message)
            return
        seen = observed(port, error.kind if error else None)
        self.judge(step, vnic_type, net, predicted, seen)

    def predict(self, net: dict, port: dict, host: str, vnic_type: str, profile: dict) -> Outcome:
        subnets = [self.api.subnet(ip["subnet_id"]) for ip in port.get("fixed_ips", [])]
        return predict(vnic_type=vnic_type, profile=profile, segments=segments_of(self.api, net),
                       host=host, agents=self.agents, subnets=subnets,
                       prohibit_list=self.opts.expect.prohibit_list)

    def judge(self, step: str, vnic_type: str, net: dict, predicted: Outcome, seen: Outcome):
        want_vif = EXPECTED_VIF.get(vnic_type)
        want_vlan = str(net.get("provider:segmentation_id"))
        vlan = seen.vif_details.get("vlan")
        good = seen.bound and seen.vif_type == want_vif and str(vlan) == want_vlan
        detail = (f"{seen.text()}" if good else
                  f"{seen.text()}; expected {want_vif} vlan={want_vlan}")
        same = agrees(predicted, seen)
        if not same:
            detail += "; the twin predicted otherwise: a bug to report"
        self.report.add(step, "ok" if good and same else "fail", detail,
                        predicted=predicted.text(), observed=seen.text(), agrees=same)

    def boot(self, net: dict, host: Optional[str]) -> None:
        if not self.api.has_compute():
            self.report.add("boot", "skip", "nova is not reachable: bound the port by hand only")
            return
        port = self.api.post("/ports", {"port": {"name": self.name("boot"),
                             "network_id": net["id"], "binding:vnic_type": "direct"}})["port"]
        self.created.add("ports", port["id"])
        self.tag("ports", port["id"])
        server = {"name": self.name("server"), "imageRef": self.opts.boot_image,
                  "flavorRef": self.opts.boot_flavor, "networks": [{"port": port["id"]}]}
        if host:
            server["availability_zone"] = f"nova:{host}"  # needs admin, like binding:host_id
        self.progress("booting a server")
        created = self.api.compute("POST", "/servers", {"server": server})["server"]
        self.created.add("servers", created["id"])
        status, started = "BUILD", time.monotonic()
        while status == "BUILD" and time.monotonic() - started < 600:
            time.sleep(3)
            status = self.api.compute("GET", f"/servers/{created['id']}")["server"]["status"]
            self.progress(f"server {status} after {time.monotonic() - started:.0f} s")
        seen = observed(self.api.port(port["id"]))
        ok = status == "ACTIVE" and seen.vif_type == "hw_veb"
        self.report.add("boot", "ok" if ok else "fail", f"server {status}; port {seen.text()}")

    # -- the whole run -----------------------------------------------------------------------
    def execute(self) -> Report:
        try:
            with sigterm_as_interrupt():
                self._steps()
        except KeyboardInterrupt:
            self.report.add("interrupted", "fail", "stopped by Ctrl-C or SIGTERM")
        except ApiError as e:
            self.report.add("api", "fail", e.message)
        finally:
            self.report.created = self.created.labels()
            self.report.leftovers = delete_all(self.api, self.created.items, self.progress)
            if self.created.items:
                status = "fail" if self.report.leftovers else "ok"
                left = "; ".join(self.report.leftovers) or "nothing left"
                self.report.add("cleanup", status, f"deleted {len(self.created.items)}: {left}")
        return self.report

    def _steps(self) -> None:
        host, physnet = self.check_agents()
        if host is None or physnet is None:
            self.report.add("choose", "fail", "no alive NIC Switch agent to test with",)
            return
        self.report.add("choose", "info", f"host {host}, physnet {physnet}")
        if self.opts.dry_run:
            self.dry_run(host, physnet)
            return
        net = self.create_network(physnet)
        if net is None:
            return
        for vnic_type in self.opts.vnic_types:
            self.bind(net, host, physnet, vnic_type)
        if self.opts.boot_image:
            self.boot(net, host)

    def dry_run(self, host: str, physnet: str) -> None:
        vlan = self.opts.vlan
        segment = {"id": "", "network_type": "vlan", "physical_network": physnet,
                   "segmentation_id": vlan or 0}
        for vnic_type in self.opts.vnic_types:
            profile = {"pci_slot": self.opts.pci_slot, "physical_network": physnet}
            guess = predict(vnic_type=vnic_type, profile=profile, segments=[segment], host=host,
                            agents=self.agents, prohibit_list=self.opts.expect.prohibit_list)
            text = guess.text().replace("vlan=0", "vlan=<allocated>") if not vlan else guess.text()
            self.report.add(f"bind {vnic_type} on {host}", "skip",
                            "dry run: would create a network, a subnet and this port",
                            predicted=text)


def _pool(cidr: str, size: int) -> dict:
    import ipaddress

    net = ipaddress.ip_network(cidr)
    first = net.network_address + min(10, max(1, net.num_addresses // 4))
    return {"start": str(first), "end": str(first + max(0, size - 1))}


def run_verify(api: Api, cloud: str, opts: Options, progress: Callable[[str], None]) -> Report:
    return Run(api, cloud, opts, progress).execute()

"""`sriovctl verify` logic without a cloud: a scripted API stands in for neutron."""

from __future__ import annotations

import itertools

from sriovctl.verify.cloud import ApiError
from sriovctl.verify.expect import compare_mappings, from_files, vlan_in_ranges
from sriovctl.verify.predict import (
    HOST_NOT_COMPATIBLE,
    HOST_NOT_CONNECTED,
    Outcome,
    agrees,
    observed,
    predict,
)
from sriovctl.verify.smoke import Options, run_verify

AGENT = {"agent_type": "NIC Switch agent", "host": "cmp1", "alive": True,
         "configurations": {"device_mappings": {"physnet1": ["ens1f0"]}}}


class ScriptedApi:
    """Just enough of neutron: networks get VLAN 1100, ports a MAC, PUT binds (hw_veb)."""

    def __init__(self, profile_allowed: bool = True):
        self.profile_allowed = profile_allowed
        self.ids = (f"id-{n}" for n in itertools.count())
        self.items: dict[str, dict] = {}
        self.puts: list[dict] = []
        self.deleted: list[str] = []

    def agents(self):
        return [AGENT]

    def post(self, path, body):
        kind = path.strip("/")[:-1]
        item = dict(body[kind], id=next(self.ids))
        if kind == "network":
            item["provider:segmentation_id"] = 1100
        if kind == "subnet":
            item.setdefault("allocation_pools", [{"start": "a", "end": "b"}])
        if kind == "port":
            item.update(mac_address="fa:16:3e:00:00:01", fixed_ips=[])
        self.items[item["id"]] = item
        return {kind: item}

    def put(self, path, body):
        self.puts.append(body["port"])
        if "binding:profile" in body["port"] and not self.profile_allowed:
            raise ApiError("policy says no", 403, "PolicyNotAuthorized")
        port = dict(self.items[path.split("/")[-1]], **body["port"])
        port.update({"binding:vif_type": "hw_veb", "binding:vif_details": {
            "port_filter": False, "connectivity": "l2", "vlan": "1100"}})
        return {"port": port}

    def get(self, path):
        if path.startswith("/segments"):
            return {"segments": []}
        raise AssertionError(path)

    def subnet(self, subnet_id):
        return self.items[subnet_id]

    def set_tag(self, kind, item_id, tag):
        self.items[item_id].setdefault("tags", []).append(tag)

    def delete(self, path):
        self.deleted.append(path)


def test_binds_with_novas_profile_and_deletes_in_reverse():
    api = ScriptedApi()
    report = run_verify(api, "test", Options(), lambda m: None)
    assert report.ok, report.to_dict()
    assert api.puts[0]["binding:profile"] == {
        "pci_slot": "0000:00:00.0", "physical_network": "physnet1", "pci_vendor_info": "8086:10ca"}
    assert api.puts[0]["device_owner"] == "compute:nova"
    assert api.deleted == ["/ports/id-2", "/networks/id-0"]
    assert all("sriovctl-verify" in i.get("tags", []) for i in api.items.values()
               if i["name"].endswith(("-net", "-direct")))


def test_without_the_service_role_binds_with_the_host_only():
    api = ScriptedApi(profile_allowed=False)
    report = run_verify(api, "test", Options(vnic_types=("direct", "direct-physical")),
                        lambda m: None)
    rows = {s.step: s for s in report.steps}
    assert rows["binding:profile"].status == "warn"
    assert rows["bind direct on cmp1"].status == "ok"
    assert "binding:profile" not in api.puts[1]
    assert rows["bind direct-physical on cmp1"].status == "skip"


def test_an_api_failure_still_cleans_up():
    api = ScriptedApi()

    def boom(path, body):
        raise ApiError("neutron is down", 503)

    api.put = boom
    report = run_verify(api, "test", Options(), lambda m: None)
    assert not report.ok
    assert api.deleted == ["/ports/id-2", "/networks/id-0"]


def test_prediction_for_a_routed_port_follows_the_hosts_segments():
    # Found by the differential test: a host mapped to no segment of the network gets
    # HostNotConnectedToAnySegment, one mapped to another segment HostNotCompatibleWithFixedIps.
    segs = [{"id": "s1", "network_type": "vlan", "physical_network": "physnet2",
             "segmentation_id": 5},
            {"id": "s2", "network_type": "vlan", "physical_network": "physnet1",
             "segmentation_id": 6}]
    subnets = [{"id": "on-s1", "segment_id": "s1"}, {"id": "on-s2", "segment_id": "s2"}]

    def on(host, subnet):
        return predict(vnic_type="direct", profile={}, segments=segs, host=host,
                       agents=[AGENT], subnets=[subnet], network_subnets=subnets)

    assert on("cmp1", subnets[0]).error == HOST_NOT_COMPATIBLE
    assert on("cmp1", subnets[1]).text() == "hw_veb vlan=6"
    assert on("elsewhere", subnets[1]).error == HOST_NOT_CONNECTED
    assert agrees(on("cmp1", subnets[0]), observed({}, HOST_NOT_COMPATIBLE))


def test_outcomes_compare_the_drivers_details_not_bound_drivers():
    real = observed({"binding:vif_type": "hw_veb", "binding:vif_details": {
        "port_filter": False, "connectivity": "l2", "vlan": "7",
        "bound_drivers": {"0": "sriovnicswitch"}}})
    model = Outcome(True, "hw_veb", {"port_filter": False, "connectivity": "l2", "vlan": "7"})
    assert agrees(model, real)
    assert not agrees(model, observed({"binding:vif_type": "binding_failed"}))


def test_expectations_from_the_lints_files(tmp_path):
    agent = tmp_path / "sriov_agent.ini"
    agent.write_text("[sriov_nic]\nphysical_device_mappings = physnet1:ens1f0,physnet1:ens1f1\n")
    ml2 = tmp_path / "ml2_conf.ini"
    ml2.write_text("[ml2]\nmechanism_drivers = sriovnicswitch\n[ml2_type_vlan]\n"
                   "network_vlan_ranges = physnet1:100:199\n"
                   "[sriov_driver]\nvnic_type_prohibit_list = macvtap\n")
    expect = from_files([str(agent), str(ml2)])
    assert expect.device_mappings == {"physnet1": ("ens1f0", "ens1f1")}
    assert expect.prohibit_list == ("macvtap",)
    assert vlan_in_ranges(expect.vlan_ranges, "physnet1", 150) is True
    assert vlan_in_ranges(expect.vlan_ranges, "physnet1", 250) is False
    assert vlan_in_ranges(expect.vlan_ranges, "other", 250) is None
    assert compare_mappings(expect.device_mappings, {"physnet1": ["ens1f1", "ens1f0"]}) == []
    assert compare_mappings({"physnet1": ["a"]}, {"physnet2": ["a"]}) == [
        "physnet1: expected a, the agent does not map it",
        "physnet2: mapped to a, not in the agent file"]

"""The guide's §7 verification on the guide's host with the guide's config files."""

from __future__ import annotations

from twin_helpers import GUIDE, GUIDE_NET, explanation, ids

from sriovctl.twin.run import simulate as run


def guide_report(guide_root, scenario="scenario.txt"):
    from twin_helpers import GUIDE_CONFIGS

    return run([str(c) for c in GUIDE_CONFIGS], [f"compute-0={guide_root}"],
               scenario=str(GUIDE / scenario))  # fmt: skip


def test_guide_scenario_succeeds_with_a_vlan_1000_vf_from_the_whitelist(guide_root):
    report = guide_report(guide_root)
    assert [s.ok for s in report.steps] == [True] * 6
    assert not ids(report, "error")
    agents = report.steps[0].rows
    assert [(a["Agent Type"], a["Host"], a["Alive"]) for a in agents] == [
        ("NIC Switch agent", "compute-0", ":-)")
    ]
    port_id = report.steps[4].assigned[1]
    server = report.steps[5].record
    assert server["status"] == "ACTIVE" and server["OS-EXT-SRV-ATTR:host"] == "compute-0"
    assert server["addresses"] == {"sriov-net": ["10.12.21.131"]}
    [port] = report.ports
    assert port["port_id"] == port_id
    assert port["vif_type"] == "hw_veb" and port["vlan"] == "1000"
    assert port["vf"] in ("0000:31:12.1", "0000:31:12.5")  # device_spec *:31:12.*
    assert port["pf"] == "enp49s0f1" and port["status"] == "ACTIVE"
    assert port["guest_driver"] == "igbvf"  # the guide's ethtool check for an I350 VF
    bus, slot, func = port["vf"][5:7], port["vf"][8:10], port["vf"][11]
    assert f'<address type="pci" domain="0x0000" bus="0x{bus}" slot="0x{slot}" ' \
        f'function="0x{func}"/>' in port["libvirt_xml"]
    assert '<tag id="1000"/>' in port["libvirt_xml"]
    assert port["libvirt_xml"].startswith('<interface type="hostdev" managed="yes">')
    settings = " ".join(port["vf_settings"])
    assert "vlan 1000" in settings and "spoofchk on" in settings


def test_guide_field_problems_are_predicted_as_warnings(guide_root):
    report = guide_report(guide_root)
    warnings = ids(report, "warning")
    assert "guest.no-dhcp" in warnings  # problem 2: no DHCP server on the provider network
    assert "switch.vlan-trunk" in warnings  # problem 3: VLAN 1000 must be trunked
    assert "neutron.security-groups-ignored" in warnings
    assert "nova.filter-removed" in warnings  # AvailabilityZoneFilter in the guide's list
    dhcp = explanation(report, "guest.no-dhcp")
    assert "10.12.21.131" in dhcp.cause and "DHCP server" in dhcp.fix


def test_guide_add_port_variant(guide_root):
    report = guide_report(guide_root, "scenario-add-port.txt")
    assert all(s.ok for s in report.steps), [s.error for s in report.steps]
    [port] = report.ports
    assert port["server"] == "test" and port["vif_type"] == "hw_veb" and port["vlan"] == "1000"


def test_third_port_fails_in_neutron_before_nova_sees_it(simulate):
    # The guide's pool holds 2 addresses and device_spec 2 VFs: the third `port create`
    # already fails (IP addresses run out at port creation), so nova is never asked.
    scenario = GUIDE_NET.replace("10.12.21.140", "10.12.21.132") + "".join(
        f"openstack port create --network sriov-net --vnic-type direct p{i}\n"
        f"openstack server create --flavor m1.large --image img --nic port-id=p{i} s{i}\n"
        for i in (1, 2, 3)
    )
    report = simulate(scenario)
    assert [s.ok for s in report.steps] == [True, True, True, True, True, True, False, False]
    assert report.steps[6].error.startswith(
        "ConflictException: 409, No more IP addresses available on network "
    )
    why = explanation(report, "neutron.ip-exhausted")
    assert "sriov-subnet: 10.12.21.131-10.12.21.132" in why.cause
    assert why.evidence == ("10.12.21.131 by port p1", "10.12.21.132 by port p2")
    # nova never got a request for a third VF
    assert report.steps[7].error == "Port p3 could not be found. (HTTP 400)"


def test_third_server_fails_no_valid_host_when_the_pool_is_larger(simulate):
    scenario = GUIDE_NET + "".join(
        f"openstack port create --network sriov-net --vnic-type direct p{i}\n"
        f"openstack server create --flavor m1.large --image img --nic port-id=p{i} s{i}\n"
        for i in (1, 2, 3)
    )
    report = simulate(scenario)
    assert [s.ok for s in report.steps] == [True] * 7 + [False]
    assert report.steps[7].error == "No valid host was found. There are not enough hosts available."
    why = explanation(report, "nova.no-valid-host")
    assert "pool exhausted" in why.cause and why.line == report.steps[7].line
    evidence = " ".join(why.evidence)
    assert "0 free of 2" in evidence
    assert "device_spec offers 2 of the 7 VFs of enp49s0f1" in evidence
    assert "by port p1 of server s1" in evidence
    vfs = sorted(p["vf"] for p in report.ports if p["vf"])
    assert vfs == ["0000:31:12.1", "0000:31:12.5"]

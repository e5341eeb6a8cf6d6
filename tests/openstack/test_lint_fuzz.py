"""Fuzz: whatever the option values, lint reports findings with file:line, never a traceback."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sriovctl.host.read import load_host
from sriovctl.openstack.lint import parse_roles, run_lint
from sriovctl.openstack.lint.hosts import host_facts

from hostbuilder import guide_host

# Values that look like what operators write, plus noise.
HEXISH = st.text("0123456789abcdefABCDEF*.:xX[]^$ -", max_size=8)
PHYSNET = st.sampled_from(["sriovnet1", "sriovnet2", "physnet1", "", " sriovnet1", "a:b"])
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 70000) | HEXISH,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["domain", "bus", "slot", "function", "x"]), inner, max_size=3),
    max_leaves=6,
)
SPEC = st.fixed_dictionaries({}, optional={
    "vendor_id": HEXISH | JSONISH, "product_id": HEXISH | JSONISH,
    "address": HEXISH | JSONISH, "devname": st.sampled_from(["enp49s0f1", "eth9", ""]) | JSONISH,
    "physical_network": PHYSNET | JSONISH, "trusted": st.sampled_from(["true", "yes", "1"]),
    "remote_managed": st.sampled_from(["true", "false", "x"]),
    "managed": st.sampled_from(["true", "no", "maybe"]),
})
DEVICE_SPEC = st.one_of(
    SPEC.map(json.dumps), st.lists(SPEC, max_size=3).map(json.dumps),
    st.text(max_size=30).filter(lambda t: "\n" not in t and "\r" not in t),
)
LISTISH = st.lists(st.text("abcdefgh0123456789:;,.- *_", max_size=12), max_size=4).map(",".join)
LINE_SAFE = st.text(max_size=40).map(lambda t: t.replace("\n", " ").replace("\r", " "))


@pytest.fixture(scope="module")
def facts(tmp_path_factory):
    root = guide_host(tmp_path_factory.mktemp("guide")).build()
    return (host_facts("guide", load_host(str(root))),)


def _check(report, paths):
    for f in report.findings:
        path, _, line = f.subject.rpartition(":")
        assert path in paths and line.isdigit() and int(line) >= 1, f
        assert f.severity in ("error", "warning", "info")
    report.to_dict()


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(specs=st.lists(DEVICE_SPEC, min_size=0, max_size=3), alias=LINE_SAFE,
       enabled=LISTISH, available=LISTISH)
def test_nova_values_never_crash(tmp_path, facts, specs, alias, enabled, available):
    lines = ["[pci]"] + [f"device_spec = {s}" for s in specs] + [f"alias = {alias}"]
    lines += ["[filter_scheduler]", f"enabled_filters = {enabled}",
              f"available_filters = {available}"]
    path = tmp_path / "nova.conf"
    path.write_text("\n".join(lines) + "\n")
    _check(run_lint([str(path)], facts=facts), [str(path)])


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(mappings=LISTISH, exclude=LISTISH, ranges=LISTISH, flat=LISTISH, mech=LISTISH,
       types=LISTISH, tenant=LISTISH, prohibit=LISTISH, ext=LISTISH, shared=LISTISH,
       bw=LISTISH)
def test_neutron_values_never_crash(tmp_path, facts, mappings, exclude, ranges, flat, mech,
                                    types, tenant, prohibit, ext, shared, bw):
    ml2 = tmp_path / "ml2_conf.ini"
    ml2.write_text(f"[ml2]\nmechanism_drivers = {mech}\ntype_drivers = {types}\n"
                   f"tenant_network_types = {tenant}\n[ml2_type_vlan]\n"
                   f"network_vlan_ranges = {ranges}\n[ml2_type_flat]\nflat_networks = {flat}\n"
                   f"[sriov_driver]\nvnic_type_prohibit_list = {prohibit}\n")
    agent = tmp_path / "sriov_agent.ini"
    agent.write_text(f"[sriov_nic]\nphysical_device_mappings = {mappings}\n"
                     f"exclude_devices = {exclude}\nresource_provider_bandwidths = {bw}\n"
                     f"[agent]\nextensions = {ext}\n")
    ovs = tmp_path / "openvswitch_agent.ini"
    ovs.write_text(f"[ovs]\n[agent]\nextensions = {ext}\n[FDB]\n"
                   f"shared_physical_device_mappings = {shared}\n")
    nova = tmp_path / "nova.conf"
    nova.write_text('[pci]\ndevice_spec = {"physical_network": "sriovnet1"}\n')
    paths = [str(p) for p in (nova, ml2, agent, ovs)]
    _check(run_lint(paths, facts=facts), paths)


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=200))
def test_arbitrary_file_text_never_crashes(tmp_path, text):
    path = tmp_path / "sriov_agent.ini"
    path.write_bytes(text.encode("utf-8", "replace"))  # lone surrogates cannot be UTF-8
    _check(run_lint([str(path)], roles=parse_roles([f"{path}=sriov_agent"])), [str(path)])

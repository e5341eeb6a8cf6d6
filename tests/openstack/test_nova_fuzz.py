"""Fuzzing and properties of the nova PCI library.

Fuzzing: whatever text or JSON an operator writes, parsing and matching end in
a result or in one of our declared errors (NovaPciError and subclasses), never
in a stray exception. Properties: hex normalisation, address round trips, glob
and regex matching rules, first-match-wins, request matching.
"""

from __future__ import annotations

import json
import re
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sriovctl.openstack.nova import (
    DeviceSpec,
    DeviceSpecList,
    NovaPciError,
    PciAddressGlobSpec,
    PciAddressRegexSpec,
    PciRequest,
    PciStats,
    PhysicalPciAddress,
    StaticHost,
    normalize_hex,
    parse_aliases,
    parse_device_spec,
    prop_match,
)
from sriovctl.openstack.nova.address import MAX_BUS, MAX_DOMAIN, MAX_FUNC, MAX_SLOT

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
hexish = st.text(alphabet="0123456789abcdefABCDEFxX*_ .:-", max_size=12)
address_text = st.one_of(
    hexish,
    st.builds(
        lambda d, b, s, f: f"{d}:{b}:{s}.{f}",
        hexish,
        hexish,
        hexish,
        hexish,
    ),
)
regex_text = st.sampled_from([".*", "0", "0a", "[0-9]", "*", "[", "(", "0$", "8.", "1[0-7]", ""])
spec_keys = st.sampled_from(
    [
        "vendor_id",
        "product_id",
        "address",
        "devname",
        "physical_network",
        "trusted",
        "remote_managed",
        "managed",
        "live_migratable",
        "one_time_use",
        "resource_class",
        "custom",
    ]
)
spec_values = st.one_of(
    json_values,
    hexish,
    address_text,
    st.dictionaries(st.sampled_from(["domain", "bus", "slot", "function"]), regex_text),
    st.sampled_from(["true", "false", "yes", "no", "maybe", "8086", "*", "eth0"]),
)
device_specs = st.dictionaries(spec_keys, spec_values, max_size=6)
devices = st.fixed_dictionaries(
    {"vendor_id": st.sampled_from(["8086", "15b3", "15B3"]), "address": address_text},
    optional={
        "product_id": st.sampled_from(["1515", "1528", "101e"]),
        "parent_addr": st.one_of(st.none(), address_text),
        "capabilities": st.one_of(st.none(), json_values),
        "dev_type": st.sampled_from(["type-PF", "type-VF", "type-PCI", "vdpa"]),
        "numa_node": st.one_of(st.none(), st.integers(0, 2)),
    },
)
hosts = st.builds(
    lambda pfs: StaticHost(
        physical_functions=frozenset(pfs),
        netdevs={"eth0": ("0000:81:00.0", True), "vf0": ("0000:81:10.0", False)},
        vf_product_ids={"0000:81:00.0": "1515"},
        pci_ids={"0000:81:00.0": ("8086", "1528")},
    ),
    st.sets(st.sampled_from(["0000:81:00.0", "0000:0a:00.0", "0000:00:00.0"])),
)


def outcome(call):
    """The result, or the declared error; any other exception fails the test."""
    try:
        return call()
    except NovaPciError as exc:
        assert exc.nova_exception and isinstance(exc.message, str)
        return exc


# -- fuzzing ----------------------------------------------------------------------


@FUZZ
@given(st.text())
def test_any_text_parses_or_raises_a_declared_error(text):
    outcome(lambda: parse_device_spec(text))


@FUZZ
@given(json_values)
def test_any_json_value_parses_or_raises_a_declared_error(value):
    outcome(lambda: parse_device_spec(json.dumps(value)))


@FUZZ
@given(st.lists(st.one_of(device_specs.map(json.dumps), st.text()), max_size=3), hosts)
def test_any_device_spec_values_build_a_list_or_raise(values, host):
    outcome(lambda: DeviceSpecList(values, host=host))


@FUZZ
@given(device_specs, st.lists(devices, max_size=4), hosts, st.booleans())
def test_any_spec_and_device_match_or_raise(spec_dict, devs, host, placement):
    spec = outcome(lambda: DeviceSpec(spec_dict, host=host, report_in_placement=placement))
    if isinstance(spec, NovaPciError):
        return
    for dev in devs:
        assert isinstance(outcome(lambda dev=dev: spec.match(dev)), (bool, NovaPciError))


@FUZZ
@given(st.lists(st.one_of(json_values.map(json.dumps), st.text()), max_size=3), st.booleans())
def test_any_alias_values_parse_or_raise(values, pci_in_placement):
    outcome(lambda: parse_aliases(values, pci_in_placement=pci_in_placement))


@FUZZ
@given(json_values)
def test_any_request_dict_builds_or_raises(value):
    if isinstance(value, dict):
        outcome(lambda: PciRequest.from_dict(value))


@FUZZ
@given(
    st.lists(device_specs.map(json.dumps), min_size=1, max_size=3),
    st.lists(devices, max_size=6),
    st.lists(
        st.fixed_dictionaries(
            {"count": st.integers(0, 3), "spec": st.lists(st.dictionaries(spec_keys, hexish))},
            optional={"numa_policy": st.sampled_from(["legacy", "required", "socket", "x"])},
        ),
        max_size=3,
    ),
)
def test_any_pools_and_requests_answer_or_raise(values, devs, requests):
    specs = outcome(lambda: DeviceSpecList(values))
    if isinstance(specs, NovaPciError):
        return
    stats = PciStats(specs, host_cells=[{"id": 0, "socket": 0}])
    if isinstance(outcome(lambda: stats.add_devices([dict(d) for d in devs])), NovaPciError):
        return
    supported = outcome(lambda: stats.support_requests(requests, None, [0]))
    assert isinstance(supported, (bool, NovaPciError))
    outcome(lambda: stats.consume_requests(requests))


# -- properties ---------------------------------------------------------------------

FIELDS = [("domain", MAX_DOMAIN, "%04x"), ("bus", MAX_BUS, "%02x"), ("slot", MAX_SLOT, "%02x")]
FIELDS.append(("func", MAX_FUNC, "%1x"))


@given(st.sampled_from(FIELDS), st.data())
def test_hex_normalisation_accepts_every_spelling_and_is_idempotent(field, data):
    name, maximum, fmt = field
    value = data.draw(st.integers(0, maximum))
    spelling = data.draw(st.sampled_from(["%x", "%X", "0x%x", "0X%X", " %x ", "000%x", "%x\n"]))
    normal = normalize_hex(name, spelling % value, maximum, fmt)
    assert normal == fmt % value
    assert normalize_hex(name, normal, maximum, fmt) == normal


@given(st.sampled_from(FIELDS), st.integers(1, 0xFFFFF))
def test_hex_above_the_limit_is_refused_with_nova_text(field, excess):
    name, maximum, fmt = field
    raw = "%x" % (maximum + excess)
    err = outcome(lambda: normalize_hex(name, raw, maximum, fmt))
    assert err.nova_exception == "PciConfigInvalidSpec"
    assert err.message == (
        f"Invalid [pci]device_spec config: property {name} ({raw}) is greater than "
        f"the maximum allowable value ({maximum:X})."
    )


def addr_text(addr) -> str:
    domain, bus, slot, func = addr
    return f"{domain:04x}:{bus:02x}:{slot:02x}.{func:x}"


addresses = st.builds(
    lambda d, b, s, f: (d, b, s, f),
    st.integers(0, MAX_DOMAIN),
    st.integers(0, MAX_BUS),
    st.integers(0, MAX_SLOT),
    st.integers(0, MAX_FUNC),
)


@given(addresses, st.booleans())
def test_physical_address_round_trips_through_its_text(addr, upper):
    text = addr_text(addr)
    parsed = PhysicalPciAddress(text.upper() if upper else text)
    assert str(parsed) == text
    assert PhysicalPciAddress(str(parsed)).fields == parsed.fields


@given(addresses, st.lists(st.booleans(), min_size=4, max_size=4))
def test_a_glob_with_wildcards_matches_its_own_address(addr, wild):
    text = addr_text(addr)
    pieces = ["*" if w else p for w, p in zip(wild, re.split("[:.]", text))]
    glob = PciAddressGlobSpec("{}:{}:{}.{}".format(*pieces))
    assert glob.match(PhysicalPciAddress(text))


@given(addresses, st.integers(1, 2))
def test_regex_fields_are_anchored_at_the_start_only(addr, prefix_len):
    device = PhysicalPciAddress(addr_text(addr))
    prefix = device.bus[:prefix_len]
    # {"bus": "0"} selects bus 0a too: re.match does not anchor the end.
    assert PciAddressRegexSpec({"bus": prefix}).match(device)
    assert PciAddressRegexSpec({"bus": prefix + "$"}).match(device) == (prefix == device.bus)


@given(st.lists(device_specs.map(json.dumps), max_size=4), st.lists(devices, max_size=4))
def test_first_match_is_the_first_of_all_matches(values, devs):
    specs = outcome(lambda: DeviceSpecList(values))
    if isinstance(specs, NovaPciError):
        return
    for dev in devs:
        everything = outcome(lambda dev=dev: specs.all_matches(dev))
        if isinstance(everything, NovaPciError):
            continue
        assert specs.first_match(dev) is (everything[0] if everything else None)


@given(addresses, addresses)
def test_a_pf_address_selects_the_pf_and_exactly_its_vfs(pf, other):
    pf_text, other_text = addr_text(pf), addr_text(other)
    host = StaticHost(physical_functions=frozenset([pf_text]))
    spec = DeviceSpec({"address": pf_text}, host=host)
    assert spec.pf_address == pf_text
    vf = {"vendor_id": "8086", "product_id": "1515", "address": other_text}
    assert spec.match(dict(vf, parent_addr=pf_text))
    assert spec.match(dict(vf, parent_addr=other_text)) == (other_text == pf_text)
    assert spec.match(dict(vf, address=pf_text))


@given(st.text(alphabet=string.ascii_letters + string.digits + "-_", max_size=10))
def test_request_tags_match_pools_case_insensitively(value):
    assert prop_match({"physical_network": value.lower()}, [{"physical_network": value.upper()}])
    assert not prop_match({}, [{"physical_network": value}])
    assert prop_match({}, [{"physical_network": None}])

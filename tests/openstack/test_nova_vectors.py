"""Every case of nova-pci.json (transcribed from nova's unit tests) against our library.

One parametrized test per vector group. The repo copy (tests/vectors) is used
when present so a clone runs without /work/shared. A case with a key this
harness does not understand fails instead of passing silently.
"""

from __future__ import annotations

import fnmatch
import json
import re
from pathlib import Path

import pytest

from sriovctl.openstack.nova import (
    DeviceSpec,
    DeviceSpecList,
    NovaPciError,
    PciAddressGlobSpec,
    PciAddressRegexSpec,
    PciDeviceNotFoundById,
    PciStats,
    PhysicalPciAddress,
    parse_address,
    parse_aliases,
    prop_match,
    requests_from_flavor,
    sysfs,
    translate_alias_to_requests,
)
from sriovctl.openstack.nova import address as address_mod

_CANDIDATES = (
    Path(__file__).resolve().parents[1] / "vectors" / "nova-pci.json",
    Path("/work/shared/vectors/nova-pci.json"),
)
VECTORS_PATH = next((p for p in _CANDIDATES if p.exists()), _CANDIDATES[0])
VECTORS = json.loads(VECTORS_PATH.read_text())

ADDRESS_CLASSES = {
    "PhysicalPciAddress": PhysicalPciAddress,
    "PciAddressGlobSpec": PciAddressGlobSpec,
    "PciAddressRegexSpec": PciAddressRegexSpec,
    "PciAddressSpec": address_mod.PciAddressSpec,
}


def cases(group: str):
    return [pytest.param(c, id=c["id"]) for c in VECTORS[group]]


class MockHost:
    """The sysfs answers a nova test mocked (``env``); blanket answers, as mock.patch gives."""

    def __init__(self, env: dict):
        self.env = env

    def is_physical_function(self, *fields) -> bool:
        return bool(self.env.get("is_physical_function", False))

    def get_function_by_ifname(self, ifname):
        answer = self.env.get("get_function_by_ifname", [None, False])
        return answer[0], answer[1]

    def get_vf_product_id_by_pf_addr(self, pci_addr):
        if "get_vf_product_id_by_pf_addr" not in self.env:
            raise PciDeviceNotFoundById(id=pci_addr)
        return self.env["get_vf_product_id_by_pf_addr"]

    def get_pci_ids_by_pci_addr(self, pci_addr):
        if "get_pci_ids_by_pci_addr" not in self.env:
            raise PciDeviceNotFoundById(id=pci_addr)
        return tuple(self.env["get_pci_ids_by_pci_addr"])


def error_name(exc: BaseException) -> str:
    return exc.nova_exception if isinstance(exc, NovaPciError) else type(exc).__name__


def check_error(case: dict, call) -> None:
    """Run ``call`` and check it fails as the case says (class name and message)."""
    with pytest.raises(Exception) as info:
        call()
    assert error_name(info.value) == case["error"], info.value
    if "error_message" in case:
        assert str(info.value) == case["error_message"]
    if "error_message_contains" in case:
        assert case["error_message_contains"] in str(info.value)


def unknown_keys(case: dict, known: set) -> set:
    return set(case) - known - {"id", "test"}


# -- cases: devspec / address classes -------------------------------------------

CASE_KEYS = {
    "kind", "target", "spec", "error", "error_message", "error_message_contains",
    "expect_fields", "expect_tags", "expect_tag_absent", "env", "call", "device",
    "device_obj", "match",
}  # fmt: skip
_ARG = r"(spec|device\.address)"
_CALL_RE = re.compile(rf"^(\w+)\({_ARG}\)\.match\((\w+)\({_ARG}\)\)$")


def build_target(case: dict):
    env = case.get("env", {})
    if case["target"] == "PciDeviceSpec":
        return DeviceSpec(
            case["spec"],
            host=MockHost(env),
            report_in_placement=env.get("report_in_placement", False),
        )
    return ADDRESS_CLASSES[case["target"]](case.get("spec"))


def fields_of(obj) -> dict:
    if isinstance(obj, DeviceSpec):
        obj = obj.address.pci_address_spec
    return {"domain": obj.domain, "bus": obj.bus, "slot": obj.slot, "func": obj.func}


@pytest.mark.parametrize("case", cases("cases"))
def test_devspec_cases(case):
    assert not unknown_keys(case, CASE_KEYS)
    if case["kind"] == "parse":
        if case.get("error"):
            check_error(case, lambda: build_target(case))
            return
        obj = build_target(case)
        if "expect_fields" in case:
            assert fields_of(obj) == case["expect_fields"]
        for tag, value in case.get("expect_tags", {}).items():
            assert obj.tags[tag] == value
        if "expect_tag_absent" in case:
            assert case["expect_tag_absent"] not in obj.tags
        return

    assert case["kind"] == "match"
    call = case.get("call")
    if case["target"] == "PciDeviceSpec":
        spec = build_target(case)
        if call == "match_pci_obj":
            assert spec.match_pci_obj(case["device_obj"]) is case["match"]
        else:
            assert call in (None, "match"), call
        # The derived dict must give the same answer through plain match().
        assert spec.match(case["device"]) is case["match"]
        return
    left_cls, left_arg, right_cls, right_arg = _CALL_RE.match(call).groups()
    values = {"spec": case["spec"], "device.address": case["device"]["address"]}
    left = ADDRESS_CLASSES[left_cls](values[left_arg])
    right = ADDRESS_CLASSES[right_cls](values[right_arg])
    assert left.match(right) is case["match"]


# -- whitelist_cases ----------------------------------------------------------------

WHITELIST_KEYS = {
    "device_spec", "device", "assignable", "env", "error", "error_message",
    "expect_num_specs", "expect_tags", "expect_tag_absent", "error_message_contains",
}  # fmt: skip


@pytest.mark.parametrize("case", cases("whitelist_cases"))
def test_whitelist_cases(case):
    assert not unknown_keys(case, WHITELIST_KEYS)
    env = case.get("env", {})

    def build():
        return DeviceSpecList(
            case["device_spec"],
            host=MockHost(env),
            report_in_placement=env.get("report_in_placement", False),
        )

    if case.get("error"):
        check_error(case, build)
        return
    specs = build()
    if "expect_num_specs" in case:
        assert len(specs.specs) == case["expect_num_specs"]
    for tag, value in case.get("expect_tags", {}).items():
        assert specs.specs[0].tags[tag] == value
    if "expect_tag_absent" in case:
        assert case["expect_tag_absent"] not in specs.specs[0].tags
    if "device" in case:
        assert bool(specs.device_assignable(case["device"])) is case["assignable"]


# -- prop_match_cases -----------------------------------------------------------------


@pytest.mark.parametrize("case", cases("prop_match_cases"))
def test_prop_match_cases(case):
    assert not unknown_keys(case, {"pool", "specs", "match"})
    assert prop_match(case["pool"], case["specs"]) is case["match"]


# -- utils_cases: sysfs helpers over a described filesystem ------------------------------


class DescribedFS:
    """A filesystem given as nova's mocks describe it: ``"op(path)": answer``.

    Paths may use shell wildcards (``isdir(*)``); ``readlink(each)`` answers
    every readlink; ``"IOError"``/``"OSError"`` as an answer raises it.
    """

    def __init__(self, description: dict):
        self.answers = []
        for key, value in description.items():
            op, paren, path = key.partition("(")
            # "op(path)" answers for that path (wildcards allowed), a bare "op" for all
            self.answers.append((op, path[:-1] if paren else "*", value))

    def _answer(self, ops, path, default=KeyError):
        for op, pattern, value in self.answers:
            if op in ops and (pattern == "each" or fnmatch.fnmatchcase(path, pattern)):
                if value in ("IOError", "OSError"):
                    raise OSError(f"mocked {value}: {path}")
                return value
        if default is KeyError:
            raise FileNotFoundError(path)
        return default

    def isdir(self, path):
        return bool(self._answer(("isdir",), path, default=False))

    def readlink(self, path):
        return self._answer(("readlink",), path)

    def read_text(self, path):
        return self._answer(("open", "read"), path)

    def listdir(self, path):
        return list(self._answer(("listdir",), path))

    def glob(self, pattern):
        return list(self._answer(("glob",), pattern, default=[]))


def _address_args(value):
    if isinstance(value, str):
        return {"pci_addr": value}
    return dict(value)


UTILS = {
    "parse_address": lambda fs, arg: list(parse_address(arg)),
    "get_pci_address_fields": lambda fs, arg: list(address_mod.get_pci_address_fields(arg)),
    "get_function_by_ifname": lambda fs, arg: list(sysfs.get_function_by_ifname(fs, arg)),
    "is_physical_function": lambda fs, arg: sysfs.is_physical_function(
        fs, *(address_mod.get_pci_address_fields(arg) if isinstance(arg, str) else arg)
    ),
    "get_ifname_by_pci_address": lambda fs, arg: sysfs.get_ifname_by_pci_address(
        fs, **_address_args(arg)
    ),
    "get_mac_by_pci_address": lambda fs, arg: sysfs.get_mac_by_pci_address(
        fs, **_address_args(arg)
    ),
    "get_vf_num_by_pci_address": lambda fs, arg: sysfs.get_vf_num_by_pci_address(fs, arg),
    "get_vf_product_id_by_pf_addr": lambda fs, arg: sysfs.get_vf_product_id_by_pf_addr(fs, arg),
    "get_pci_ids_by_pci_addr": lambda fs, arg: list(sysfs.get_pci_ids_by_pci_addr(fs, arg)),
}


@pytest.mark.parametrize("case", cases("utils_cases"))
def test_utils_cases(case):
    assert not unknown_keys(case, {"func", "input", "sysfs", "result", "error"})
    fs = DescribedFS(case.get("sysfs", {}))
    call = UTILS[case["func"]]
    if case.get("error"):
        check_error(case, lambda: call(fs, case["input"]))
    else:
        assert call(fs, case["input"]) == case["result"]


# -- alias_cases ---------------------------------------------------------------------------

ALIAS_KEYS = {
    "alias", "pci_in_placement", "error", "error_message", "error_message_contains",
    "expect", "expect_policy", "flavor_extra_spec", "affinity_policy", "expect_requests",
    "flavor",
}  # fmt: skip


def alias_outcome(case):
    aliases = parse_aliases(case["alias"], pci_in_placement=case.get("pci_in_placement", False))
    requests = None
    if "flavor_extra_spec" in case:
        requests = translate_alias_to_requests(
            case["flavor_extra_spec"], aliases, case.get("affinity_policy")
        )
    elif "flavor" in case:
        requests = requests_from_flavor(
            case["flavor"].get("extra_specs", {}), aliases, case.get("affinity_policy")
        )
    return aliases, requests


@pytest.mark.parametrize("case", cases("alias_cases"))
def test_alias_cases(case):
    assert not unknown_keys(case, ALIAS_KEYS)
    if case.get("error"):
        check_error(case, lambda: alias_outcome(case))
        return
    aliases, requests = alias_outcome(case)
    if "expect" in case:
        got = {name: [alias.numa_policy, alias.specs] for name, alias in aliases.items()}
        assert got == case["expect"]
    for name, policy in case.get("expect_policy", {}).items():
        assert aliases[name].numa_policy == policy
    for want, got in zip(case.get("expect_requests", []), requests or []):
        for key, value in want.items():
            assert getattr(got, key) == value, key
    if "expect_requests" in case:
        assert len(requests) == len(case["expect_requests"])


# -- stats_cases ---------------------------------------------------------------------------

STATS_KEYS = {
    "device_spec", "devices", "operation", "requests", "numa_cells", "host_numa_cells",
    "expect", "provider_mapping",
}  # fmt: skip
STATS_EXPECT_KEYS = {
    "raises", "result", "num_pools", "pools_prefix", "pool_counts", "num_devices",
    "vendor_ids_set", "product_ids_set", "free_devices_with_product_id",
    "parents_of_consumed_not_free",
}  # fmt: skip


def build_stats(case) -> PciStats:
    values = case["device_spec"]
    if values == "ANY_DEVICE_MATCHES_A_SPEC_WITHOUT_TAGS":
        values = ["{}"]  # no ids, every address, no tags
    stats = PciStats(DeviceSpecList(values), host_cells=case.get("host_numa_cells"))
    # Fresh dicts: the pools hold on to (and compare by identity) what they are given.
    stats.add_devices([dict(dev) for dev in case["devices"]])
    return stats


def run_operation(case, stats):
    operation = case["operation"]
    requests = case.get("requests", [])
    cells = case.get("numa_cells")
    if operation == "add_devices":
        return None
    if operation == "apply_requests":
        return stats.apply_requests(requests, case.get("provider_mapping"), cells)
    if operation == "support_requests":
        return stats.support_requests(requests, case.get("provider_mapping"), cells)
    if operation == "consume_requests":
        return stats.consume_requests(requests, cells)
    if operation == "filter_pools_for_socket_affinity":
        return stats.filter_pools_for_socket_affinity(stats.pools, cells)
    raise AssertionError(f"unknown operation {operation}")


@pytest.mark.parametrize("case", cases("stats_cases"))
def test_stats_cases(case):
    assert not unknown_keys(case, STATS_KEYS)
    expect = case["expect"]
    assert not set(expect) - STATS_EXPECT_KEYS
    stats = build_stats(case)
    if "raises" in expect:
        with pytest.raises(NovaPciError) as info:
            run_operation(case, stats)
        assert info.value.nova_exception == expect["raises"]
        return
    result = run_operation(case, stats)
    pools = result if case["operation"] == "filter_pools_for_socket_affinity" else stats.pools
    if "result" in expect:
        assert result is expect["result"]
    if "num_pools" in expect:
        assert len(pools) == expect["num_pools"]
    for want, pool in zip(expect.get("pools_prefix", []), pools):
        assert {k: pool.get(k) for k in want} == want
    assert len(pools) >= len(expect.get("pools_prefix", []))
    if "pool_counts" in expect:
        assert [pool["count"] for pool in pools] == expect["pool_counts"]
    if "num_devices" in expect:
        assert len(result) == expect["num_devices"]
    # Ids of the devices an operation returned, else of the pools (e.g. after adding).
    items = result if isinstance(result, list) else pools
    if "vendor_ids_set" in expect:
        assert {d["vendor_id"] for d in items} == set(expect["vendor_ids_set"])
    if "product_ids_set" in expect:
        assert {d["product_id"] for d in items} == set(expect["product_ids_set"])
    free = stats.get_free_devs()
    for product_id, n in expect.get("free_devices_with_product_id", {}).items():
        assert sum(1 for d in free if d["product_id"] == product_id) == n
    if expect.get("parents_of_consumed_not_free"):
        parents = {d["parent_addr"] for d in result if d.get("parent_addr")}
        assert parents and not any(d["address"] in parents for d in free)

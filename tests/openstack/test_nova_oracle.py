"""Differential test against real nova (opt-in).

Random device_spec entries, device_spec values, aliases and pool/request
scenarios go through this library and through nova's own code, and every
answer must be the same: results, error class names and messages (with
``0x…`` object addresses blanked).

Runs only when ``SRIOVCTL_NOVA_PYTHON`` names a Python with nova installed
(e.g. ``python -m venv /tmp/nova && /tmp/nova/bin/pip install nova``), since
nova is far too heavy to be a test dependency. ``SRIOVCTL_NOVA_ORACLE_CASES``
sets the number of scenarios per kind (default 300).
"""

from __future__ import annotations

import json
import os
import random
import re
import subprocess

import pytest

from sriovctl.openstack.nova import (
    DeviceSpec,
    DeviceSpecList,
    NovaPciError,
    PciStats,
    StaticHost,
    parse_aliases,
    translate_alias_to_requests,
)

NOVA_PYTHON = os.environ.get("SRIOVCTL_NOVA_PYTHON")
CASES = int(os.environ.get("SRIOVCTL_NOVA_ORACLE_CASES", "300"))
pytestmark = pytest.mark.skipif(not NOVA_PYTHON, reason="SRIOVCTL_NOVA_PYTHON not set")


# -- random scenarios -------------------------------------------------------------------

IDS = ["8086", "15b3", "*", " 8086 ", "0x8086", "80860", "", "-1", "zz", 8086, None, "1515", " * "]
DOM, BUS = ["", "0000", "*", "ffff", "10000", " 0 ", "x"], ["", "0a", "*", "81", "100", "A", "0"]
SLOT, FUNC = ["", "00", "*", "1f", "20", "10"], ["", "0", "*", "7", "8", "1.2", " 5"]
RX = [".*", "0", "0a", "[0-9]", "*", "[", 5, "0000", "81", "", "0$", None, "00"]
PF_ADDRS = [
    "0000:81:00.0",
    "0000:0a:00.0",
    {"domain": "0000", "bus": "81", "slot": "00", "function": "0"},
]
TAG_VALUES = ["true", "false", "yes", "no", True, "maybe", None, 1, "", "invalid", [1]]
ADDRS = ["0000:0a:00.5", "0000:0A:00.5", "10000:00:00.0", "0000:81:00.0", "0000:81:10.1", "0a:00.5"]
PARENTS = ["0000:81:00.0", "0000:0a:00.0", None, "", "10000:0:0.0"]


def random_address(r):
    roll = r.random()
    if roll < 0.2:
        return r.choice(PF_ADDRS)
    if roll < 0.6:
        d, b, s, f = r.choice(DOM), r.choice(BUS), r.choice(SLOT), r.choice(FUNC)
        return r.choice([f"{d}:{b}:{s}.{f}", f"{b}:{s}.{f}", f"{s}.{f}", f"{d}:{b}:{s}", ".5"])
    if roll < 0.9:
        keys = ["domain", "bus", "slot", "function", "extra"]
        return {k: r.choice(RX) for k in keys if r.random() < 0.6}
    return r.choice([[], 0, True, 5, {}, None])


def random_spec(r):
    spec = {}
    for key, chance, values in (
        ("vendor_id", 0.7, IDS),
        ("product_id", 0.7, IDS),
        ("devname", 0.15, ["eth0", "vf1", "", None, "missing", 5]),
        ("physical_network", 0.5, ["physnet1", None, 5]),
        ("trusted", 0.15, TAG_VALUES),
        ("remote_managed", 0.25, TAG_VALUES),
        ("managed", 0.15, TAG_VALUES),
        ("live_migratable", 0.15, TAG_VALUES),
        ("one_time_use", 0.1, TAG_VALUES),
    ):
        if r.random() < chance:
            spec[key] = r.choice(values)
    if r.random() < 0.75:
        spec["address"] = random_address(r)
    return spec


def random_device(r):
    dev = {
        "vendor_id": r.choice(["8086", "15b3", "15B3"]),
        "product_id": r.choice(["1515", "1528", "5057"]),
        "address": r.choice(ADDRS),
    }
    if r.random() < 0.5:
        dev["parent_addr"] = r.choice(PARENTS)
    if r.random() < 0.3:
        dev["capabilities"] = r.choice([{"vpd": {"card_serial_number": "MT1"}}, {}, None])
    return dev


def random_host(r):
    return {
        "pfs": r.sample(["0000:81:00.0", "0000:0a:00.0", "0000:0a:00.5"], r.randrange(3)),
        "netdevs": {"eth0": ["0000:81:00.0", True], "vf1": ["0000:81:10.1", False]},
        "vf_product_ids": {"0000:81:00.0": "1515"},
        "pci_ids": {"0000:81:00.0": ["8086", "1528"]},
    }


def devspec_task(r):
    devices = [random_device(r) for _ in range(5)]
    return {
        "op": "devspec",
        "spec": random_spec(r),
        "host": random_host(r),
        "report_in_placement": r.random() < 0.3,
        "devices": devices,
    }


def whitelist_task(r):
    def value():
        roll = r.random()
        if roll < 0.5:
            return json.dumps(random_spec(r))
        if roll < 0.8:
            return json.dumps([random_spec(r) for _ in range(r.randrange(3))])
        return r.choice(["{", "5", "[5]", "[]", "null", "[{}, 5]", "NaN", ""])

    return {
        "op": "whitelist",
        "values": [value() for _ in range(r.randrange(4))],
        "host": random_host(r),
        "devices": [random_device(r) for _ in range(5)],
    }


def alias_task(r):
    def alias():
        out = {"name": r.choice(["a1", "a2", " a1 ", "", 5])} if r.random() < 0.95 else {}
        for key, values in (
            ("product_id", ["4443", "0xg1", 4443]),
            ("vendor_id", ["8086", "808"]),
            ("device_type", ["type-PCI", "type-PF", "vdpa"]),
            ("numa_policy", ["legacy", "socket", "derp"]),
            ("resource_class", ["foo"]),
            ("live_migratable", ["true", "invalid"]),
            ("capability_type", ["pci", "usb"]),
        ):
            if r.random() < 0.4:
                out[key] = r.choice(values)
        return json.dumps(out)

    return {
        "op": "alias",
        "values": [alias() for _ in range(r.randrange(1, 4))],
        "pci_in_placement": r.random() < 0.3,
        "flavor": r.choice([None, "a1:2", "a1 : 1, a2:1", "x:1", "a1", "a1:x"]),
    }


STATS_SPECS = [
    {"vendor_id": "8086", "product_id": "1528"},
    {"vendor_id": "8086", "product_id": "1515", "physical_network": "physnet1"},
    {"vendor_id": "15b3", "product_id": "101e", "remote_managed": "true"},
    {"vendor_id": "10de", "live_migratable": "true"},
    {"product_id": "1515", "live_migratable": "false", "trusted": "yes"},
    {},
]
STATS_REQUESTS = [
    {"product_id": "1515"},
    {"product_id": "1528", "dev_type": "type-PF"},
    {"physical_network": "physnet1", "remote_managed": "False"},
    {"product_id": "101e", "remote_managed": "true"},
    {"dev_type": "vdpa"},
    {"live_migratable": "false"},
    {"numa_node": 0},
]


def stats_task(r):
    devices = []
    for i, (pf, vendor, pf_id, vf_id) in enumerate(
        [("0000:81:00.0", "8086", "1528", "1515"), ("0001:81:00.0", "15b3", "a2d6", "101e")]
    ):
        numa = r.choice([0, 1, None])
        devices.append(
            {
                "address": pf,
                "vendor_id": vendor,
                "product_id": pf_id,
                "dev_type": "type-PF",
                "parent_addr": None,
                "numa_node": numa,
            }
        )
        for j in range(r.randrange(4)):
            devices.append(
                {
                    "address": f"{pf[:8]}1{i}.{j}",
                    "vendor_id": vendor,
                    "product_id": vf_id,
                    "dev_type": r.choice(["type-VF", "vdpa"]),
                    "parent_addr": pf,
                    "numa_node": numa,
                    "capabilities": {"vpd": {"card_serial_number": "MT1"}},
                }
            )
    devices.append(
        {
            "address": "0000:05:00.0",
            "vendor_id": "10de",
            "product_id": "1db4",
            "dev_type": "type-PCI",
            "parent_addr": None,
            "numa_node": 0,
        }
    )
    r.shuffle(devices)
    actions = []
    for _ in range(r.randrange(1, 4)):
        requests = []
        for _ in range(r.randrange(3)):
            req = {"count": r.choice([1, 1, 2, 0]), "spec": r.sample(STATS_REQUESTS, 1)}
            if r.random() < 0.4:
                req["numa_policy"] = r.choice(["legacy", "required", "preferred", "socket"])
            if r.random() < 0.2:
                req["alias_name"] = "a1"
            requests.append(req)
        actions.append(
            {
                "op": r.choice(["support", "apply", "consume"]),
                "requests": requests,
                "numa_cells": r.choice([None, [0], [1], [0, 1]]),
            }
        )
    return {
        "op": "stats",
        "values": [json.dumps(s) for s in r.sample(STATS_SPECS, 3)],
        "devices": devices,
        "host_cells": [{"id": 0, "socket": 0}, {"id": 1, "socket": 1}],
        "actions": actions,
    }


KINDS = {"devspec": devspec_task, "whitelist": whitelist_task, "alias": alias_task}
KINDS["stats"] = stats_task


# -- our side ------------------------------------------------------------------------------


def blank(message: str) -> str:
    return re.sub(r" at 0x[0-9a-f]+", " at 0x?", message)


def error(exc: NovaPciError) -> dict:
    return {"error": exc.nova_exception, "message": blank(exc.message)}


def static_host(h):
    return StaticHost(
        frozenset(h["pfs"]),
        {k: tuple(v) for k, v in h["netdevs"].items()},
        h["vf_product_ids"],
        {k: tuple(v) for k, v in h["pci_ids"].items()},
    )


def attempt(call):
    try:
        return call()
    except NovaPciError as exc:
        return error(exc)


def ours(task):
    op = task["op"]
    if op == "devspec":
        host = static_host(task["host"])
        spec = attempt(
            lambda: DeviceSpec(
                task["spec"], host=host, report_in_placement=task["report_in_placement"]
            )
        )
        if isinstance(spec, dict):
            return spec
        address = spec.address.pci_address_spec.fields if spec.address else None
        return {
            "ids": [spec.vendor_id, spec.product_id],
            "tags": spec.tags,
            "fields": list(address) if address else None,
            "matches": [attempt(lambda d=d: spec.match(d)) for d in task["devices"]],
        }
    if op == "whitelist":
        specs = attempt(lambda: DeviceSpecList(task["values"], host=static_host(task["host"])))
        if isinstance(specs, dict):
            return specs
        first = [attempt(lambda d=d: specs.first_match(d)) for d in task["devices"]]
        return {
            "tags": [s.tags for s in specs],
            "first": [specs.specs.index(s) if isinstance(s, DeviceSpec) else s for s in first],
        }
    if op == "alias":
        aliases = attempt(
            lambda: parse_aliases(task["values"], pci_in_placement=task["pci_in_placement"])
        )
        if isinstance(aliases, dict) and "error" in aliases:
            return aliases
        out = {"aliases": {name: [a.numa_policy, a.specs] for name, a in aliases.items()}}
        if task["flavor"] is not None:
            reqs = attempt(lambda: translate_alias_to_requests(task["flavor"], aliases))
            out["requests"] = (
                reqs
                if isinstance(reqs, dict)
                else [[q.count, q.spec, q.alias_name, q.numa_policy] for q in reqs]
            )
        return out
    stats = PciStats(DeviceSpecList(task["values"]), host_cells=task["host_cells"])
    stats.add_devices([dict(d) for d in task["devices"]])
    results = [pools(stats.pools)]
    for act in task["actions"]:
        if act["op"] == "support":
            res = attempt(
                lambda a=act: stats.support_requests(a["requests"], None, a["numa_cells"])
            )
        elif act["op"] == "apply":
            res = attempt(lambda a=act: stats.apply_requests(a["requests"], None, a["numa_cells"]))
        else:
            res = attempt(lambda a=act: stats.consume_requests(a["requests"], a["numa_cells"]))
            res = res if isinstance(res, dict) else [d["address"] for d in res]
        results.append([res, pools(stats.pools)])
    return results


def pools(pool_list):
    return [
        dict(
            {k: v for k, v in p.items() if k != "devices"},
            devices=[d["address"] for d in p["devices"]],
        )
        for p in pool_list
    ]


# -- nova's side (runs in SRIOVCTL_NOVA_PYTHON) ------------------------------------------

NOVA_SIDE = r"""
import json, logging, re, sys, warnings
logging.disable(logging.CRITICAL)
warnings.simplefilter("ignore")
from unittest import mock
import nova.conf
from nova import exception, objects
from nova.pci import devspec, request, stats, utils, whitelist
objects.register_all()
CONF = nova.conf.CONF
CONF([], project="nova")


def error(e):
    message = re.sub(r" at 0x[0-9a-f]+", " at 0x?", str(e))
    return {"error": type(e).__name__, "message": message}


def attempt(call):
    try:
        return call()
    except Exception as e:
        return error(e)


def patches(h):
    pfs = set(h["pfs"])

    def ids(table):
        def look(addr):
            if addr not in table:
                raise exception.PciDeviceNotFoundById(id=addr)
            return tuple(table[addr]) if isinstance(table[addr], list) else table[addr]
        return look

    def ifname(name):
        try:
            found = h["netdevs"].get(name)
        except TypeError:
            found = None
        return tuple(found) if found else (None, False)

    def is_pf(d, b, s, f):
        return f"{d}:{b}:{s}.{f}" in pfs

    patch = mock.patch.object
    return [
        patch(utils, "is_physical_function", side_effect=is_pf),
        patch(utils, "get_function_by_ifname", side_effect=ifname),
        patch(utils, "get_vf_product_id_by_pf_addr", side_effect=ids(h["vf_product_ids"])),
        patch(utils, "get_pci_ids_by_pci_addr", side_effect=ids(h["pci_ids"])),
    ]


def pools(pool_list):
    out = []
    for p in pool_list:
        pool = {k: v for k, v in p.items() if k != "devices"}
        pool["devices"] = [d.address for d in p["devices"]]
        out.append(pool)
    return out


def run_devspec(task):
    CONF.set_override("report_in_placement", task["report_in_placement"], group="pci")
    spec = attempt(lambda: devspec.PciDeviceSpec(json.loads(json.dumps(task["spec"]))))
    if isinstance(spec, dict):
        return spec
    a = spec.address.pci_address_spec if spec.address else None
    return {
        "ids": [spec.vendor_id, spec.product_id],
        "tags": spec.tags,
        "fields": [a.domain, a.bus, a.slot, a.func] if a else None,
        "matches": [attempt(lambda d=d: spec.match(d)) for d in task["devices"]],
    }


def run_whitelist(task):
    CONF.set_override("report_in_placement", False, group="pci")
    wl = attempt(lambda: whitelist.Whitelist(task["values"]))
    if isinstance(wl, dict):
        return wl
    first = []
    for d in task["devices"]:
        s = attempt(lambda d=d: wl.device_assignable(d))
        first.append(s if isinstance(s, dict) or s is None else wl.specs.index(s))
    return {"tags": [s.tags for s in wl.specs], "first": first}


def run_alias(task):
    request.get_alias_from_config.cache_clear()
    CONF.set_override("alias", task["values"], group="pci")
    CONF.set_override("pci_in_placement", task["pci_in_placement"], group="filter_scheduler")
    aliases = attempt(request.get_alias_from_config)
    if "error" in aliases:
        return aliases
    out = {"aliases": {k: [v[0], v[1]] for k, v in aliases.items()}}
    if task["flavor"] is not None:
        reqs = attempt(lambda: request._translate_alias_to_requests(task["flavor"]))
        if not isinstance(reqs, dict):
            reqs = [[q.count, q.spec, q.alias_name, q.numa_policy] for q in reqs]
        out["requests"] = reqs
    return out


def run_stats(task):
    CONF.set_override("report_in_placement", False, group="pci")
    cells = [objects.NUMACell(id=c["id"], socket=c["socket"]) for c in task["host_cells"]]
    topo = objects.NUMATopology(cells=cells)
    st = stats.PciDeviceStats(topo, dev_filter=whitelist.Whitelist(task["values"]))
    devs = [objects.PciDevice.create(None, d) for d in task["devices"]]
    by_address = {d.address: d for d in devs}
    for d in devs:
        if d.parent_addr in by_address:
            d.parent_device = by_address[d.parent_addr]
            by_address[d.parent_addr].child_devices.append(d)
    for d in devs:
        st.add_device(d)
    results = [pools(st.pools)]
    for act in task["actions"]:
        cells = None
        if act["numa_cells"] is not None:
            cells = [objects.InstanceNUMACell(id=c) for c in act["numa_cells"]]

        def requests(act=act):
            return [objects.InstancePCIRequest(**r) for r in act["requests"]]

        if act["op"] == "support":
            res = attempt(lambda: st.support_requests(requests(), None, cells))
        elif act["op"] == "apply":
            res = attempt(lambda: st.apply_requests(requests(), None, cells))
        else:
            res = attempt(lambda: st.consume_requests(requests(), cells))
            res = res if isinstance(res, dict) else [d.address for d in res]
        results.append([res, pools(st.pools)])
    return results


RUN = {"devspec": run_devspec, "whitelist": run_whitelist, "alias": run_alias}
RUN["stats"] = run_stats
NO_HOST = {"pfs": [], "netdevs": {}, "vf_product_ids": {}, "pci_ids": {}}
out = []
for task in json.load(open(sys.argv[1])):
    active = patches(task.get("host") or NO_HOST)
    for p in active:
        p.start()
    try:
        out.append(RUN[task["op"]](task))
    finally:
        for p in active:
            p.stop()
json.dump(out, open(sys.argv[2], "w"))
"""


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_same_answers_as_nova(kind, tmp_path):
    r = random.Random(f"nova-oracle-{kind}")
    tasks = [KINDS[kind](r) for _ in range(CASES)]
    tasks_file, nova_file = tmp_path / "tasks.json", tmp_path / "nova.json"
    tasks_file.write_text(json.dumps(tasks))
    subprocess.run(
        [NOVA_PYTHON, "-c", NOVA_SIDE, str(tasks_file), str(nova_file)],
        check=True,
        capture_output=True,
        timeout=900,
    )
    theirs = json.loads(nova_file.read_text())
    mine = json.loads(json.dumps([ours(task) for task in tasks]))
    different = [i for i, (a, b) in enumerate(zip(theirs, mine)) if a != b]
    assert not different, (
        f"{len(different)}/{len(tasks)} differ; first: {json.dumps(tasks[different[0]])}\n"
        f"nova: {json.dumps(theirs[different[0]])}\nours: {json.dumps(mine[different[0]])}"
    )

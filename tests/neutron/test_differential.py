"""The twin against real neutron 29: the same bindings through both, outcomes compared.

Every case of the matrix (differential.all_cases) creates a port on real neutron, binds it
as nova does (service role, binding:profile), reads bound-or-not, vif_type and vif_details,
and deletes it; the same inputs go through the twin's neutron model (single-segment
networks, which is what the twin models) and through bind_port plus the routed-network
rule (every case). Any disagreement fails the test with the list of cases.
"""

from __future__ import annotations

import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from differential import HOSTS, TwinSide, all_cases, compare, create_networks, run_model, run_real
from realneutron import PROHIBITED

from sriovctl.verify.predict import HOST_NOT_COMPATIBLE

from conftest import Rest

WORKERS = 2


@pytest.fixture(scope="module")
def matrix_setup(neutron_stack, rest, neutron_summary):
    # "dead": a copy of the real agent's row with an old heartbeat (agent_down_time is 75 s;
    # nobody waits that long). Made before the networks, as the segments plugin maps a new
    # segment to the hosts whose agent rows match it.
    neutron_stack.clone_agent(HOSTS["dead"])
    started = time.monotonic()
    prohibit_url = neutron_stack.start_second_api("api-prohibit", ("prohibit.ini",))
    neutron_summary.append(f"second API server (vnic_type_prohibit_list="
                           f"{','.join(PROHIBITED)}) up in {time.monotonic() - started:.1f} s")
    nets = create_networks(rest)
    agents = rest.ok("GET", "/agents")["agents"]
    yield {"nets": nets, "agents": agents, "apis": {False: rest, True: Rest(prohibit_url)}}
    neutron_stack.stop_processes(["api-prohibit"])


def test_the_twin_agrees_with_real_neutron(matrix_setup, tmp_path_factory, neutron_summary):
    nets, agents, apis = matrix_setup["nets"], matrix_setup["agents"], matrix_setup["apis"]
    twins = {False: TwinSide(False), True: TwinSide(True)}
    started = time.monotonic()
    cases = all_cases()

    def one(case):
        net = nets[case.network]
        real, port = run_real(apis[case.prohibit], case, net)
        model = run_model(case, net, port, agents, apis[case.prohibit])
        return case, real, model

    # Real neutron is the slow side (a failed binding is retried 10 times server-side);
    # one request in flight per API server keeps both busy. The twin runs after, in
    # order, because its model is not thread-safe.
    with ThreadPoolExecutor(WORKERS) as pool:
        results = []
        for n, result in enumerate(pool.map(one, cases)):
            results.append(result)
            if n % 48 == 47:
                print(f"differential: {n + 1}/{len(cases)} cases, "
                      f"{time.monotonic() - started:.0f} s", file=sys.stderr)
    elapsed = time.monotonic() - started
    rows = []
    for case, real, model in results:
        twin = twins[case.prohibit].run(case, nets[case.network])
        rows.append({"case": case.label(), "real": real.text(), "model": model.text(),
                     "twin": twin.text() if twin else None,
                     "model_agrees": compare(real, model), "twin_agrees": compare(real, twin)})
    out = tmp_path_factory.mktemp("differential") / "matrix.json"
    out.write_text(json.dumps(rows, indent=1))
    model_bad = [r for r in rows if r["model_agrees"] is False]
    twin_rows = [r for r in rows if r["twin_agrees"] is not None]
    twin_bad = [r for r in twin_rows if not r["twin_agrees"]]
    outcomes = sorted({r["real"] for r in rows})
    neutron_summary.append(
        f"differential: {len(rows)} cases in {elapsed:.0f} s; bind_port+routing agrees on "
        f"{len(rows) - len(model_bad)}/{len(rows)}; the twin agrees on "
        f"{len(twin_rows) - len(twin_bad)}/{len(twin_rows)} (its single-segment cases); "
        f"{len(outcomes)} distinct real outcomes; table: {out}")
    bad = "\n".join(f"{r['case']}: real {r['real']}, model {r['model']}, twin {r['twin']}"
                    for r in model_bad + twin_bad)
    assert not bad, f"disagreements with real neutron:\n{bad}"
    # The matrix must have reached every kind of outcome, or it tests less than it says.
    assert {"hw_veb vlan=1001", "hostdev_physical vlan=0", "binding_failed",
            f"refused: {HOST_NOT_COMPATIBLE}"} <= set(outcomes)

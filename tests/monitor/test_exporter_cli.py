"""`sriovctl exporter` and `sriovctl top` as an operator runs them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

from sriovctl.cli.exporter_cmd import parse_listen
from sriovctl.errors import InputError


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_once_prints_one_scrape(cli, igb, tmp_path):
    ini = tmp_path / "sriov_agent.ini"
    ini.write_text("[sriov_nic]\nphysical_device_mappings = physnet2:enp1s0\n")
    code, out, err = cli("exporter", "--once", "--root", igb, "--agent-config", ini)
    assert code == 0, err
    families = {f.name: f for f in text_string_to_metric_families(out)}
    (numvfs,) = families["sriov_pf_numvfs"].samples
    assert numvfs.value == 3 and numvfs.labels["physnet"] == "physnet2"


def test_a_bad_agent_config_is_an_input_error_with_the_agents_words(cli, igb, tmp_path):
    ini = tmp_path / "sriov_agent.ini"
    ini.write_text("[sriov_nic]\nphysical_device_mappings = physnet2\n")
    code, out, err = cli("exporter", "--once", "--root", igb, "--agent-config", ini)
    assert code == 2 and out == ""
    assert err.startswith(f"error: {ini}:2: [sriov_nic] physical_device_mappings: Invalid")
    assert len(err.strip().splitlines()) == 1


def test_a_missing_root_is_an_input_error(cli, tmp_path):
    code, _, err = cli("exporter", "--once", "--root", tmp_path / "nope")
    assert code == 2 and "no such directory or snapshot file" in err


def test_a_corrupt_state_file_is_a_warning_and_the_rest_is_served(cli, igb):
    (igb / "etc/sriovctl").mkdir(parents=True)
    (igb / "etc/sriovctl/vfs.json").write_text("[")
    code, out, err = cli("exporter", "--once", "--root", igb)
    assert code == 0
    assert err.startswith("warning: vf_state: /etc/sriovctl/vfs.json is corrupt")
    assert 'sriov_exporter_read_errors{host="compute-0",source="vf_state"} 1.0' in out


@pytest.mark.parametrize("text, parsed", [
    ("127.0.0.1:9808", ("127.0.0.1", 9808)), ("[::1]:9100", ("::1", 9100)),
    (":9808", ("0.0.0.0", 9808)), ("0.0.0.0:1", ("0.0.0.0", 1))])
def test_listen_addresses(text, parsed):
    assert parse_listen(text) == parsed


@pytest.mark.parametrize("text", ["9808", "host:", "host:http", "h:0", "h:65536", "[::1:9"])
def test_bad_listen_addresses(text):
    with pytest.raises(InputError, match="is not ADDRESS:PORT"):
        parse_listen(text)


def test_bad_listen_is_exit_2(cli, igb):
    code, _, err = cli("exporter", "--root", igb, "--listen", "localhost")
    assert code == 2 and "fix: e.g. --listen 127.0.0.1:9808" in err


def test_a_port_in_use_is_one_line_and_exit_1(cli, igb):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, _, err = cli("exporter", "--root", igb, "--listen", f"127.0.0.1:{port}")
    assert code == 1
    assert err.startswith(f"error: cannot listen on 127.0.0.1:{port}: Address already in use")


def test_the_server_answers_scrapes_and_stops_on_sigterm(igb):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sriovctl", "exporter", "--root", str(igb), "--listen",
         f"127.0.0.1:{port}"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        bodies = []
        deadline = time.monotonic() + 60
        while len(bodies) < 2 and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
                    bodies.append(r.read().decode())
            except OSError:
                time.sleep(0.2)
        assert len(bodies) == 2, proc.stderr.read() if proc.poll() is not None else "no answer"
        for body in bodies:
            families = {f.name: f for f in text_string_to_metric_families(body)}
            assert len(families["sriov_vf_info"].samples) == 3
        # the startup scrape read sysfs once; the served scrapes used the cache
        assert 'sriov_exporter_topology_reads_total{host="compute-0"} 1.0' in bodies[1]
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert f"serving http://127.0.0.1:{port}/metrics — 1 PF, 3 VFs" in err
    assert err.rstrip().endswith("exporter stopped")


def test_top_runs_n_refreshes_on_a_pipe(cli, igb):
    code, out, err = cli("top", "--root", igb, "-n", "2", "--interval", "0.2", "--sort", "vf")
    assert code == 0, err
    assert "compute-0: 3 VFs on 1 PF, sorted by PF and VF index" in out
    assert "enp1s0/0" in out and "enp1s0v0" in out


def test_top_rejects_an_unknown_sort_key(cli, igb):
    code, _, err = cli("top", "--root", igb, "--sort", "colour")
    assert code == 2 and "'colour' is not one of" in err


def test_version_does_not_import_the_monitor():
    code = ("import sys; from sriovctl.cli.main import main; main(['--version']); "
            "bad = [m for m in ('prometheus_client', 'pyroute2', 'rich', 'sriovctl.monitor') "
            "if m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert out.stdout.strip().endswith("[]")

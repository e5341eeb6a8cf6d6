"""Start and stop a real neutron 29 on loopback: RabbitMQ, the API, the RPC server, the agent.

Everything lives in one scratch folder and listens on 127.0.0.1 on ports picked free at
start, with a private epmd port and Erlang cookie, so two runs (or another developer's
broker) never meet. Facts this rests on are in shared/neutron/NOTES.md: no neutron-server
script in 29 (the API is a WSGI app, RPC is ``neutron-rpc-server``), the schema comes from
the models because ``neutron-db-manage upgrade`` fails on SQLite, and the real SR-IOV agent
registers on a host with no VF.

The stack has one real ``neutron-sriov-nic-agent`` (host ``sriov-host1``, physnet
``sriovnet1``). Other agent rows (a dead one) are copies of its row written straight
into the database, which is how a test gets "dead" without waiting 75 s.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

VENV = Path(os.environ.get("SRIOVCTL_NEUTRON_VENV", "/var/cache/sriovctl/neutron-venv"))
SIDE = Path(__file__).parent / "neutron_side"
RABBIT = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")
AGENT_HOST = "sriov-host1"
MAPPED_PHYSNET = "sriovnet1"
UNMAPPED_PHYSNET = "sriovnet2"  # in the server's ranges, mapped by no agent
VLAN_RANGES = {MAPPED_PHYSNET: (1000, 1999), UNMAPPED_PHYSNET: (2000, 2099)}
PROHIBITED = ("macvtap", "direct-physical")  # the second API server's vnic_type_prohibit_list
PREPARE = "run scripts/neutron-prepare (installs RabbitMQ and the neutron venv)"


class StackError(RuntimeError):
    """The stack did not come up; the message says which part and where its log is."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def missing_prerequisites() -> list[str]:
    """What scripts/neutron-prepare would install; empty when ready."""
    missing = []
    if not RABBIT.exists():
        missing.append(f"{RABBIT} (Debian rabbitmq-server)")
    for tool in ("python", "neutron-rpc-server", "neutron-sriov-nic-agent"):
        if not (VENV / "bin" / tool).exists():
            missing.append(str(VENV / "bin" / tool))
    return missing


def agent_device() -> str:
    """A netdev the agent can map: it only warns when the device has no VFs."""
    names = sorted(os.listdir("/sys/class/net")) if os.path.isdir("/sys/class/net") else []
    return next((n for n in names if n.startswith(("eth", "en"))), "lo")


def _die_with_parent() -> None:
    """In the child: SIGTERM when the test process dies, even by SIGKILL or a CI timeout,
    so no stack outlives its session (teardown does not run then)."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log: Path


@dataclass
class Stack:
    root: Path
    amqp_port: int = field(default_factory=free_port)
    dist_port: int = field(default_factory=free_port)
    epmd_port: int = field(default_factory=free_port)
    api_port: int = field(default_factory=free_port)
    procs: dict[str, Proc] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    # -- addresses ---------------------------------------------------------------------------
    @property
    def transport_url(self) -> str:
        return f"rabbit://guest:guest@127.0.0.1:{self.amqp_port}/"

    def api_url(self, name: str = "api") -> str:
        port = self.api_port if name == "api" else self.extra_ports[name]
        return f"http://127.0.0.1:{port}"

    @property
    def db_path(self) -> Path:
        return self.root / "neutron.db"

    extra_ports: dict[str, int] = field(default_factory=dict)

    def write_configs(self) -> None:
        from stackconfig import write_configs

        write_configs(self)

    def server_args(self) -> list[str]:
        etc = self.root / "etc"
        return ["--config-file", str(etc / "neutron.conf"), "--config-file",
                str(etc / "ml2_conf.ini")]

    # -- processes ---------------------------------------------------------------------------
    def spawn(self, name: str, argv: list[str], env: dict | None = None) -> Proc:
        log = self.root / "log" / f"{name}.log"
        out = open(log, "ab")  # noqa: SIM115 - the child owns it for its lifetime
        popen = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONWARNINGS": "ignore", **(env or {})},
            cwd=self.root, start_new_session=True, preexec_fn=_die_with_parent,
        )
        out.close()
        proc = Proc(name, popen, log)
        self.procs[name] = proc
        return proc

    def rabbit_env(self) -> dict:
        base = self.root / "rabbit"
        return {
            "HOME": str(base),  # the Erlang cookie is made here, not in root's home
            "RABBITMQ_CONF_ENV_FILE": str(base / "rabbitmq-env.conf"),
            "RABBITMQ_NODENAME": f"sriovctl{os.getpid()}@localhost",
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.amqp_port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(base / "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
            "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq"),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
            "RABBITMQ_CTL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "ERL_EPMD_PORT": str(self.epmd_port),
        }

    def start_broker(self) -> None:
        env = self.rabbit_env()
        # Our own epmd in the foreground, so it is our child and stops with the stack
        # instead of lingering as the daemon erl would start.
        self.spawn("epmd", ["epmd", "-port", str(self.epmd_port), "-address", "127.0.0.1"], env)
        (self.root / "rabbit" / "enabled_plugins").write_text("[].\n")
        self.spawn("rabbitmq", [str(RABBIT)], env)

    def start_api(self, name: str = "api", extra: tuple[str, ...] = ()) -> None:
        if name != "api":
            self.extra_ports[name] = free_port()
        port = self.api_port if name == "api" else self.extra_ports[name]
        files = ["neutron.conf", "ml2_conf.ini", *extra]
        env = {"OS_NEUTRON_CONFIG_DIR": str(self.root / "etc"),
               "OS_NEUTRON_CONFIG_FILES": ";".join(files)}
        self.spawn(name, [str(VENV / "bin" / "python"), str(SIDE / "run_api.py"), str(port)], env)

    def start_rpc(self) -> None:
        self.spawn("rpc", [str(VENV / "bin" / "python"), str(SIDE / "run_rpc.py"),
                           *self.server_args()])

    def start_agent(self) -> None:
        etc = self.root / "etc"
        self.spawn("agent", [
            str(VENV / "bin" / "neutron-sriov-nic-agent"),
            "--config-file", str(etc / "agent-neutron.conf"),
            "--config-file", str(etc / "sriov_agent.ini"),
        ])

    def make_schema(self) -> None:
        proc = self.spawn("schema", [str(VENV / "bin" / "python"), str(SIDE / "mkschema.py"),
                                     f"sqlite:///{self.db_path}"])
        if proc.popen.wait(timeout=180) != 0:
            raise StackError(f"schema creation failed; see {proc.log}")

    # -- waiting -----------------------------------------------------------------------------
    def _check_alive(self, name: str) -> None:
        proc = self.procs[name]
        if proc.popen.poll() is not None:
            tail = proc.log.read_text(errors="replace").splitlines()[-15:]
            raise StackError(f"{name} exited with {proc.popen.returncode}; log {proc.log}:\n"
                             + "\n".join(tail))

    def wait_for(self, what: str, ready, timeout: float, watch: tuple[str, ...]) -> None:
        started = time.monotonic()
        last_note = started
        while True:
            for name in watch:
                self._check_alive(name)
            if ready():
                self.timings[what] = round(time.monotonic() - started, 1)
                return
            now = time.monotonic()
            if now - started > timeout:
                logs = ", ".join(str(self.procs[n].log) for n in watch)
                raise StackError(f"{what}: not ready after {timeout:.0f} s; logs: {logs}")
            if now - last_note > 5:
                print(f"realneutron: waiting for {what} ({now - started:.0f} s)", file=sys.stderr)
                last_note = now
            time.sleep(0.3)

    def amqp_ready(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.amqp_port), timeout=1):
                return True
        except OSError:
            return False

    def http_ok(self, url: str) -> bool:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:  # noqa: S310 - loopback only
                return r.status == 200
        except OSError:
            return False

    def agents(self) -> list[dict]:
        import json

        with urllib.request.urlopen(self.api_url() + "/v2.0/agents", timeout=10) as r:  # noqa: S310
            return json.load(r)["agents"]

    def agent_alive(self) -> bool:
        try:
            return any(a["host"] == AGENT_HOST and a["alive"] for a in self.agents())
        except OSError:
            return False

    # -- the whole thing ---------------------------------------------------------------------
    def start(self) -> None:
        missing = missing_prerequisites()
        if missing:
            raise StackError(f"missing {', '.join(missing)}: {PREPARE}")
        t0 = time.monotonic()
        self.write_configs()
        self.start_broker()  # broker and schema overlap: ~6 s each
        self.make_schema()
        self.start_api()
        self.wait_for("broker", self.amqp_ready, 90, ("rabbitmq",))
        self.start_rpc()
        self.start_agent()
        self.wait_for("api", lambda: self.http_ok(self.api_url() + "/v2.0/networks"), 120,
                      ("api",))
        self.wait_for("agent alive", self.agent_alive, 120, ("api", "rpc", "agent"))
        self.timings["bring-up"] = round(time.monotonic() - t0, 1)

    def start_second_api(self, name: str, extra: tuple[str, ...]) -> str:
        """Another API process on the same DB and broker, with extra config files."""
        self.start_api(name, extra)
        url = self.api_url(name)
        self.wait_for(name, lambda: self.http_ok(url + "/v2.0/networks"), 120, (name,))
        return url

    def stop_processes(self, names: list[str], timeout: float = 15) -> None:
        """SIGTERM to each process group at once, then wait; SIGKILL what hangs."""
        procs = [self.procs.pop(n) for n in names if n in self.procs]
        running = [p for p in procs if p.popen.poll() is None]
        for proc in running:
            # Each child leads its own session; the group holds the RPC server's workers too.
            try:
                os.killpg(proc.popen.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + timeout
        for proc in running:
            try:
                proc.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.popen.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.popen.wait(timeout=10)

    def stop(self) -> None:
        # Neutron first, all at once (a graceful RPC server stop alone takes ~7 s), then the
        # broker and its epmd.
        self.stop_processes([n for n in self.procs if n not in ("rabbitmq", "epmd")])
        self.stop_processes(["rabbitmq"])
        self.stop_processes(list(self.procs))

    # -- agent rows --------------------------------------------------------------------------
    def clone_agent(self, host: str, heartbeat: str = "2000-01-01 00:00:00",
                    mappings: dict | None = None) -> None:
        """Copy the real agent's row to ``host``; an old heartbeat makes it dead at once."""
        import json
        import uuid

        with sqlite3.connect(self.db_path, timeout=30) as db:
            cols = [r[1] for r in db.execute("PRAGMA table_info(agents)")]
            row = dict(zip(cols, db.execute(
                "SELECT * FROM agents WHERE host = ? AND agent_type = 'NIC Switch agent'",
                (AGENT_HOST,)).fetchone()))
            row.update(id=str(uuid.uuid4()), host=host, heartbeat_timestamp=heartbeat)
            if mappings is not None:
                conf = json.loads(row["configurations"])
                conf["device_mappings"] = mappings
                row["configurations"] = json.dumps(conf)
            if "standard_attr_id" in row:  # agents have no standard attributes; be safe
                row.pop("standard_attr_id")
            names = ", ".join(row)
            marks = ", ".join("?" for _ in row)
            db.execute(f"INSERT INTO agents ({names}) VALUES ({marks})",  # noqa: S608
                       tuple(row.values()))

"""neutron-rpc-server with SQLite transactions serialized (see sqlite_serial); run by
neutron's venv with the server's usual --config-file arguments."""

from __future__ import annotations

import sys

import sqlite_serial


def main() -> int:
    sqlite_serial.install()
    from neutron.cmd.server import main_rpc

    return main_rpc()


if __name__ == "__main__":
    sys.exit(main())

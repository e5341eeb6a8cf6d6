"""Create neutron's schema from its models (run by neutron's venv).

``neutron-db-manage upgrade heads`` fails on SQLite (ALTER of constraints), so we do what
neutron's own unit tests do: ``BASEV2.metadata.create_all()``. Usage: python mkschema.py URL
"""

from __future__ import annotations

import sys


def main() -> None:
    import sqlalchemy
    from neutron.db.migration.models import head

    engine = sqlalchemy.create_engine(sys.argv[1])
    head.get_metadata().create_all(engine)
    if engine.dialect.name == "sqlite":
        # Three processes write this file (two API servers, the RPC server's heartbeats):
        # with the default rollback journal a reader blocks writers and neutron answers
        # 500 "database is locked". WAL is a property of the file, so it sticks.
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA journal_mode=WAL")
    print(f"schema: {len(head.get_metadata().tables)} tables")


if __name__ == "__main__":
    main()

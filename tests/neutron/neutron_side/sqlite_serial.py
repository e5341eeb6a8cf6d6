"""Make every SQLite transaction of this neutron process take the write lock at BEGIN.

Three neutron processes share one SQLite file. SQLite lets one writer at a time, and a
transaction that read first and then writes fails at once with "database is locked" when
another process wrote in between (no busy wait applies to that case), so neutron answers
500 at random under load. ``BEGIN IMMEDIATE`` takes the lock up front, where the busy
timeout (``?timeout=`` in the URL) does wait: requests serialize instead of failing. This
is about the test database only; MySQL/PostgreSQL deployments never see it.
"""

from __future__ import annotations


def install() -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    # oslo.db already turns pysqlite's implicit transactions off and emits its own BEGIN;
    # only that statement is changed.
    @event.listens_for(Engine, "before_cursor_execute", retval=True)
    def _begin_immediate(conn, cursor, statement, parameters, context, executemany):
        if statement == "BEGIN" and conn.dialect.name == "sqlite":
            statement = "BEGIN IMMEDIATE"
        return statement, parameters

"""The VF lifecycle: counts, settings, drivers, persistence, drift, kernel args and FDB.

Every command here builds a `sriovctl.changes.Plan` from the host model and runs it through
the executor, so dry-run, rollback and interrupt handling are the same for all of them.
"""

"""Changes to a host, made one way: a plan of steps, run by one executor.

A step says what it will do (`describe`), does it (`apply`), proves it (`verify`) and can
take it back (`undo`). The executor runs the steps in order and, when one fails or the
operator interrupts, undoes what this run changed, newest first. Dry-run is the plan
printed. Writers (sysfs, netlink, files, commands) sit behind small interfaces, each with
an in-memory fake in `sriovctl.changes.fakes`.
"""

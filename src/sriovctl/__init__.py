"""sriovctl: make SR-IOV work on OpenStack/KVM hosts, end to end.

Kept import-free on purpose: `sriovctl --version` must start fast, so heavy
modules are imported only by the commands that need them.
"""

__version__ = "0.1.0"

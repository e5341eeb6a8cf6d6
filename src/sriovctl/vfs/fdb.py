"""`sriovctl fdb add|del|show PF MAC...`: the PF's forwarding entries, over netlink.

Neutron's FDB extension (the guide's section 6) adds the MACs of instances on normal ports
to the PF's own table (`bridge fdb add MAC dev PF`: NTF_SELF, permanent), so a VF can reach
them through the NIC's embedded switch. This does the same through one rtnetlink socket,
idempotently: a MAC already there is not added twice, a missing one is not deleted.
"""

from __future__ import annotations

from sriovctl.changes.step import Plan, Step
from sriovctl.errors import InputError
from sriovctl.vfs.context import Env
from sriovctl.vfs.explain import Explained
from sriovctl.vfs.settings import from_strings


def normalize_macs(macs: tuple[str, ...]) -> list[str]:
    out = []
    for mac in macs:
        try:
            out.append(from_strings({"mac": mac}, "").mac or "")
        except InputError as e:
            if "multicast" not in e.message:
                raise
            out.append(mac.lower())  # multicast entries are legitimate in an FDB
    return out


def plan_fdb(env: Env, dev: str, macs: list[str], add: bool) -> Plan:
    present = {e.mac.lower() for e in env.netlink.fdb(dev)}
    plan = Plan(f"{dev}: FDB {'add' if add else 'del'}")
    for mac in macs:
        if (mac in present) == add:
            plan.notes.append(f"{dev}: {mac} {'already in' if add else 'not in'} the FDB")
        else:
            plan.add(FdbChange(env, dev, mac, add))
    return plan


class FdbChange(Step):
    def __init__(self, env: Env, dev: str, mac: str, add: bool):
        self.env, self.dev, self.mac, self.add = env, dev, mac, add
        self.done = False

    def describe(self) -> str:
        return f"bridge fdb {'add' if self.add else 'del'} {self.mac} dev {self.dev} self"

    def apply(self) -> None:
        (self.env.netlink.fdb_add if self.add else self.env.netlink.fdb_del)(self.dev, self.mac)
        self.done = True

    def verify(self) -> None:
        from sriovctl.errors import ChangeFailed

        present = any(e.mac.lower() == self.mac for e in self.env.netlink.fdb(self.dev))
        if present != self.add:
            raise ChangeFailed(f"{self.dev}: {self.mac} is {'not ' if self.add else ''}in the "
                               "FDB after the kernel accepted the change")

    def undo(self) -> None:
        if self.done:
            (self.env.netlink.fdb_del if self.add else self.env.netlink.fdb_add)(self.dev,
                                                                                self.mac)

    def explain(self, error: BaseException) -> Explained:
        import errno

        if isinstance(error, OSError) and error.errno == errno.EOPNOTSUPP:
            return (f"{self.describe()}: EOPNOTSUPP, {self.dev} has no FDB of its own",
                    "use the PF netdev (not a VF or a bridge port)")
        if isinstance(error, OSError) and error.errno == errno.EINVAL:
            return (f"{self.describe()}: EINVAL, the driver refused the entry",
                    "only unicast/multicast MACs, on a PF that supports NTF_SELF entries")
        return super().explain(error)

"""OpenStack semantics: config reading, nova PCI rules, neutron SR-IOV rules (pure functions)."""

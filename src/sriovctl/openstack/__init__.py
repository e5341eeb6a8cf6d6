"""OpenStack semantics: config reading, nova PCI rules and neutron SR-IOV rules as pure functions."""

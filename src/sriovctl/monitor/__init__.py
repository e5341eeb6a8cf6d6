"""VF monitoring: per-VF state and counters for Prometheus (`sriovctl exporter`) and a live
terminal view (`sriovctl top`).

Traffic on a VF bypasses the host's network stack, so the host's usual interface counters
show nothing; the PF driver reports per-VF counters and settings over netlink instead. Each
scrape is ONE netlink link dump (dump.py); the slow-changing sysfs facts (which PCI address
is VF n of which PF, totalvfs, drivers) are cached and re-read only when the dump shows that
they changed (topology.py); running libvirt domains label the VFs they hold (domains.py).
collect.py turns all that into plain samples; metrics.py and rates.py present them.
"""

"""The SR-IOV control-plane twin: nova and neutron as far as SR-IOV ports need them.

It runs ``openstack`` command lines (a scenario) against a model built from a deployment's
real config files and host inventories, and explains every failure the way a senior
operator would: which step, which host, which filter, pool or agent, and the fix.

Nothing is re-implemented here that the libraries already decide: pools, request matching
and the PCI filters are :mod:`sriovctl.openstack.nova`; port binding is
:func:`sriovctl.openstack.neutron.bind_port`; config files are read by
:mod:`sriovctl.openstack.config`; the guest XML is :mod:`sriovctl.openstack.libvirt`;
IOMMU group verdicts are the doctor's (:mod:`sriovctl.checks`). The twin adds the state
between the calls (networks, ports, claims, servers), the order nova and neutron call
them in, and the words.

Entry points
------------
:func:`sriovctl.twin.run.simulate`
    configs + hosts + scenario -> :class:`~sriovctl.twin.engine.Report`.
:func:`sriovctl.twin.capacity.capacity`
    free and usable VFs for ``direct`` ports per host, physnet and NUMA node.
:func:`sriovctl.twin.explain.explain`
    an error message -> cause, evidence read from a host, fix.

Modules, in the order a scenario flows through them: ``scenario``/``grammar`` (the command
lines), ``hosts`` and ``deployment``/``setup_notes`` (who reads which file on which host),
``cloud`` (the state), ``neutron``/``network_types``/``ipam``, ``nova``/``scheduler``/
``diagnose``, ``boot`` (create, attach, delete), ``failures``/``outcome`` (the words),
``engine`` (steps and the report), ``capacity``, ``explain``.
"""

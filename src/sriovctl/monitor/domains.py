"""Which running libvirt domain holds a VF, and the neutron port MAC it was given.

libvirt keeps /run/libvirt/qemu/<name>.xml only while a domain runs, so reading those files
needs neither libvirtd nor its Python binding. What nova writes for an SR-IOV port:
  vnic_type direct           <interface type='hostdev'> with <mac> and the VF's PCI <address>
  vnic_type direct-physical  <hostdev type='pci'> with the PCI <address> (no MAC)
  vnic_type macvtap          <interface type='direct'> with <mac> and <source dev='VF netdev'>
libvirt rewrites these files by renaming a new one into place, so the directory's mtime
changes whenever a domain starts, stops or hot-plugs a device: one stat per scrape tells
whether to parse them again. The parsing is sriovctl.host.libvirt_domains'.
"""

from __future__ import annotations

from collections.abc import Mapping

from sriovctl.host.libvirt_domains import LIBVIRT_RUN, Attachment, running_attachments
from sriovctl.host.root import Root
from sriovctl.monitor.stamp import path_stamp

__all__ = ["Attachment", "DomainCache", "running_attachments"]

class DomainCache:
    """running_attachments(), parsed again only when the directory changed."""

    def __init__(self) -> None:
        self._stamp: tuple | None = None
        self._found: Mapping[str, Attachment] = {}

    def get(self, root: Root) -> Mapping[str, Attachment]:
        stamp = path_stamp(root, LIBVIRT_RUN)
        if stamp is None:
            self._stamp, self._found = None, {}
        elif stamp != self._stamp:
            self._found = running_attachments(root)
            self._stamp = stamp
        return self._found

"""The guest XML nova writes for SR-IOV ports: direct, macvtap, direct-physical."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from sriovctl.errors import InputError
from sriovctl.host.read import load_host
from sriovctl.openstack.libvirt import GuestPort, interface_xml, port_on_host

from hostbuilder import guide_host

# The guide's nova-compute log line, verbatim (only the surrounding log text removed).
GUIDE_XML = """\
<interface type="hostdev" managed="yes">
  <mac address="fa:16:3e:fe:47:d2"/>
  <source>
    <address type="pci" domain="0x0000" bus="0x0b" slot="0x10" function="0x5"/>
  </source>
  <vlan>
    <tag id="1000"/>
  </vlan>
</interface>
"""


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    return load_host(str(guide_host(tmp_path_factory.mktemp("guide")).build()))


def test_direct_matches_the_guides_log_line():
    port = GuestPort("direct", "0000:0b:10.5", mac="fa:16:3e:fe:47:d2", vlan=1000)
    assert interface_xml(port) == GUIDE_XML


def test_flat_network_still_gets_tag_zero_like_nova():
    # neutron sends vlan "0" for flat; nova's truthiness test on the string keeps the tag.
    xml = interface_xml(GuestPort("direct", "0000:31:10.1", mac="fa:16:3e:00:00:01", vlan=0))
    assert '<tag id="0"/>' in xml
    assert "<vlan>" not in interface_xml(GuestPort("direct", "0000:31:10.1"))


def test_macvtap_uses_the_vf_netdev_in_passthrough_mode(host):
    port = port_on_host(host, "macvtap", "0000:31:10.1", mac="fa:16:3e:fe:47:d2", vlan=1000)
    root = ET.fromstring(interface_xml(port))
    assert root.tag == "interface" and root.attrib == {"type": "direct"}
    assert [c.tag for c in root] == ["mac", "model", "driver", "source", "vlan"]
    assert root.find("source").attrib == {"dev": "enp49s0f1v0", "mode": "passthrough"}
    assert root.find("model").get("type") == "virtio"
    assert root.find("driver").get("name") == "vhost"
    assert root.find("vlan/tag").get("id") == "1000"


def test_direct_physical_is_a_plain_hostdev_for_the_pf(host):
    port = port_on_host(host, "direct-physical", "enp49s0f1", mac="fa:16:3e:fe:47:d2", vlan=5)
    assert interface_xml(port) == (
        '<hostdev mode="subsystem" type="pci" managed="yes">\n'
        "  <source>\n"
        '    <address domain="0x0000" bus="0x31" slot="0x00" function="0x1"/>\n'
        "  </source>\n"
        "</hostdev>\n"
    )


def test_direct_on_host_resolves_a_vf_netdev(host):
    port = port_on_host(host, "direct", "enp49s0f1v4", vlan=1000)
    assert port.pci_slot == "0000:31:12.1"
    assert 'slot="0x12" function="0x1"' in interface_xml(port)


@pytest.mark.parametrize(("vnic", "device", "words"), [
    ("direct", "enp49s0f1", "is not a VF"),
    ("macvtap", "0000:31:00.1", "is not a VF"),
    ("direct-physical", "0000:31:10.1", "is a VF"),
    ("direct", "eth99", "neither a PCI address"),
])
def test_wrong_device_kind_is_an_input_error(host, vnic, device, words):
    with pytest.raises(InputError, match=words) as e:
        port_on_host(host, vnic, device)
    assert e.value.fix


@pytest.mark.parametrize("port", [
    GuestPort("normal", "0000:31:10.1"),
    GuestPort("direct", "31:10.1"),
    GuestPort("direct", "0000:31:10.8"),
    GuestPort("direct", "0000:31:10.1", mac="fa:16:3e"),
    GuestPort("direct", "0000:31:10.1", vlan=4096),
    GuestPort("macvtap", "0000:31:10.1"),
])
def test_bad_ports_raise_input_error_with_fix(port):
    with pytest.raises(InputError) as e:
        interface_xml(port)
    assert e.value.fix


def test_attribute_values_are_escaped():
    xml = interface_xml(GuestPort("macvtap", "0000:31:10.1", netdev='a"<b'))
    assert ET.fromstring(xml).find("source").get("dev") == 'a"<b'

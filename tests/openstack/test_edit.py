"""Minimal-diff ini edits: only the SR-IOV lines change; idempotent; oslo still parses it."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from sriovctl.openstack.config import parse_text
from sriovctl.openstack.edit import OptionEdit, apply_edits

NOVA = """\
# nova.conf, hand-written
[DEFAULT]
transport_url = rabbit://nova:pw@ctl:5672/
debug=true

[pci]
passthrough_whitelist = [{"physical_network": "sriovnet1", "address": "*:31:12.*"}]
alias = {"name": "gpu", "vendor_id": "10de"}
passthrough_whitelist = {"physical_network": "other", "vendor_id": "15b3"}

[filter_scheduler]
enabled_filters = ComputeFilter,
    ImagePropertiesFilter
# the end
"""


def drop_sriovnet1(value: str) -> bool:
    return json.loads(value)[0]["physical_network"] == "sriovnet1" if value.startswith(
        "[") else False


SPEC = '{"address": "0000:31:00.1", "physical_network": "sriovnet1"}'
EDITS = [
    OptionEdit("pci", "device_spec", "multi", (SPEC,), old_names=("passthrough_whitelist",),
               drop=drop_sriovnet1),
    OptionEdit("filter_scheduler", "enabled_filters", "items", ("PciPassthroughFilter",)),
    OptionEdit("securitygroup", "firewall_driver", "set", ("noop",)),
]


def test_only_the_touched_lines_change():
    out = apply_edits(NOVA, EDITS)
    assert out == """\
# nova.conf, hand-written
[DEFAULT]
transport_url = rabbit://nova:pw@ctl:5672/
debug=true

[pci]
device_spec = {"address": "0000:31:00.1", "physical_network": "sriovnet1"}
alias = {"name": "gpu", "vendor_id": "10de"}
device_spec = {"physical_network": "other", "vendor_id": "15b3"}

[filter_scheduler]
enabled_filters = ComputeFilter,ImagePropertiesFilter,PciPassthroughFilter
# the end

[securitygroup]
firewall_driver = noop
"""
    assert apply_edits(out, EDITS) == out


def test_unset_list_starts_from_the_default_and_is_added_to_its_section():
    edit = OptionEdit("filter_scheduler", "enabled_filters", "items", ("PciPassthroughFilter",),
                      default=("ComputeFilter", "ImagePropertiesFilter"))
    out = apply_edits("[filter_scheduler]\nhost_subset_size = 2\n\n[other]\nx = 1\n", [edit])
    assert out == ("[filter_scheduler]\nhost_subset_size = 2\n"
                   "enabled_filters = ComputeFilter, ImagePropertiesFilter, PciPassthroughFilter\n"
                   "\n[other]\nx = 1\n")


def test_keyed_items_count_a_physnet_with_a_range_as_present():
    edit = OptionEdit("ml2_type_vlan", "network_vlan_ranges", "items", ("sriovnet1",),
                      key_sep=":")
    text = "[ml2_type_vlan]\nnetwork_vlan_ranges = sriovnet1:100:200\n"
    assert apply_edits(text, [edit]) == text
    assert apply_edits("[ml2_type_vlan]\nnetwork_vlan_ranges = p1\n", [edit]).endswith(
        "network_vlan_ranges = p1,sriovnet1\n")


def test_only_if_set_leaves_an_unset_option_alone():
    edit = OptionEdit("ml2", "type_drivers", "items", ("vlan",), only_if_set=True)
    assert apply_edits("[ml2]\nmechanism_drivers = ovs\n", [edit]) == \
        "[ml2]\nmechanism_drivers = ovs\n"
    assert apply_edits("[ml2]\ntype_drivers = flat\n", [edit]) == \
        "[ml2]\ntype_drivers = flat,vlan\n"


def test_separator_and_spacing_of_the_line_are_kept():
    edit = OptionEdit("a", "x", "set", ("2",))
    assert apply_edits("[a]\nx:1\n", [edit]) == "[a]\nx:2\n"
    assert apply_edits("[a]\nx   =   1\n", [edit]) == "[a]\nx   =   2\n"


def test_last_occurrence_is_the_one_rewritten():
    edit = OptionEdit("a", "x", "set", ("3",))
    assert apply_edits("[a]\nx = 1\nx = 2\n", [edit]) == "[a]\nx = 1\nx = 3\n"


def test_section_names_match_case_insensitively_but_default_does_not():
    edit = OptionEdit("sriov_nic", "physical_device_mappings", "items", ("p:eth1",))
    assert apply_edits("[SRIOV_NIC]\nexclude_devices =\n", [edit]) == \
        "[SRIOV_NIC]\nexclude_devices =\nphysical_device_mappings = p:eth1\n"


def test_file_without_final_newline_and_empty_file():
    edit = OptionEdit("a", "x", "set", ("1",))
    assert apply_edits("[b]\ny = 2", [edit]) == "[b]\ny = 2\n\n[a]\nx = 1\n"
    assert apply_edits("", [edit]) == "[a]\nx = 1\n"


# -- property: random files keep every other assignment ----------------------------------
NAME = st.text("abcdefghij_", min_size=1, max_size=6)
VALUE = st.text("abc 123,:=/{}\"'#;.-", max_size=15).map(str.strip)
LINE = st.one_of(
    st.tuples(NAME, st.sampled_from([" = ", "=", ": ", ":"]), VALUE).map("".join),
    st.sampled_from(["", "# comment", "; other", "#"]),
)
SECTION = st.tuples(st.sampled_from(["DEFAULT", "pci", "PCI", "filter_scheduler", "x"]),
                    st.lists(LINE, max_size=5))


def _assignments(text: str) -> list[tuple[str, str, str]]:
    f = parse_text("t.conf", text)
    return [(s, o, v.value) for s, opts in f.sections.items() for o, vs in opts.items()
            for v in vs]


@settings(max_examples=300, deadline=None)
@given(st.lists(SECTION, max_size=4))
def test_random_files_keep_everything_else_and_stay_parseable(sections):
    text = "".join(f"[{name}]\n" + "".join(f"{line}\n" for line in lines)
                   for name, lines in sections)
    try:
        before = _assignments(text)
    except Exception:  # not a valid file to begin with (apply refuses those)
        return
    out = apply_edits(text, EDITS)
    after = _assignments(out)  # parses
    touched = {("pci", "device_spec"), ("pci", "passthrough_whitelist"),
               ("filter_scheduler", "enabled_filters"), ("securitygroup", "firewall_driver")}
    assert [a for a in before if a[:2] not in touched] == \
        [a for a in after if a[:2] not in touched]
    assert apply_edits(out, EDITS) == out
    assert ("securitygroup", "firewall_driver", "noop") in after

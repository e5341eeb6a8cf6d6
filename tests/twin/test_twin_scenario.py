"""Reading scenarios: the guide's lines verbatim, and every mistake named by its line."""

from __future__ import annotations

import pytest
from twin_helpers import GUIDE

from sriovctl.errors import InputError
from sriovctl.twin.scenario import logical_lines, parse_scenario, read_scenario


def test_guide_scenario_parses_with_continuations_and_substitution():
    scenario = read_scenario(str(GUIDE / "scenario.txt"))
    names = [s.command.spec.name for s in scenario.steps]
    assert names == [
        "openstack network agent list", "openstack network create", "openstack subnet create",
        "openstack port create", "openstack port show", "openstack server create",
    ]  # fmt: skip
    subnet = scenario.steps[2]
    assert subnet.line == 7  # the first line of the continued command
    assert subnet.command.get("allocation_pools") == ["start=10.12.21.131,end=10.12.21.132"]
    assert subnet.command.args == ("sriov-subnet",)
    show = scenario.steps[4]
    assert show.assign == "port_id" and show.command.get("columns") == ["id"]
    assert scenario.steps[5].command.get("nics") == ["port-id=$port_id"]


def test_logical_lines_skip_comments_and_join_backslashes():
    text = "# c\n\nopenstack a \\\n  --b c \\\n d\n  # indented comment\nopenstack e\n"
    assert logical_lines(text) == [(3, "openstack a --b c d"), (7, "openstack e")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("openstack port create --network n --vnic-typ direct p",
         "x.txt:2: unknown option --vnic-typ for `openstack port create`"),
        ("openstack port create --network n --vnic-type turbo p",
         "x.txt:2: --vnic-type: invalid choice 'turbo'"),
        ("openstack port create --network n",
         "x.txt:2: `openstack port create` needs <name>"),
        ("openstack port create p", "x.txt:2: `openstack port create` needs --network"),
        ("openstack server create --flavor m1.small s",
         "x.txt:2: `openstack server create` needs --image or --volume"),
        ("openstack port create --network", "x.txt:2: --network expects a value"),
        ("openstack netwrok create x", "x.txt:2: unknown command: openstack netwrok create x"),
        ("nova boot --flavor 1 x", "x.txt:2: not an openstack command: 'nova'"),
        ("openstack server add port s $port_id",
         "x.txt:2: $port_id is used but no earlier line sets it"),
        ("openstack server add port s $(openstack port show p -c id -f value)",
         "x.txt:2: command substitution is only understood as VAR=$(...)"),
        ("openstack port create --network 'n p", "x.txt:2: cannot split the line"),
    ],
)  # fmt: skip
def test_mistakes_name_the_line(text, message):
    with pytest.raises(InputError) as info:
        parse_scenario("# first line\n" + text + "\n", "x.txt")
    assert info.value.message.startswith(message), info.value.message
    assert info.value.fix


def test_unknown_option_suggests_the_close_one():
    with pytest.raises(InputError) as info:
        parse_scenario("openstack network create --provider-segmnt 5 n", "s")
    assert "--provider-segment" in info.value.fix


def test_client_global_options_and_equals_forms_are_understood():
    scenario = parse_scenario(
        "openstack --os-cloud prod --insecure port create --network=n --vnic-type=direct "
        "--binding-profile '{\"trusted\": true}' -c id -fvalue p\n"
        "NAME=sriov-port\nexport ID=$NAME\n"
    )
    cmd = scenario.steps[0].command
    assert cmd.get("network") == "n" and cmd.get("vnic_type") == "direct"
    assert cmd.get("binding_profile") == ['{"trusted": true}']
    assert cmd.get("format") == "value" and cmd.args == ("p",)
    assert scenario.steps[2].assign == "ID" and scenario.steps[2].value == "$NAME"


def test_ignored_options_are_recorded(simulate):
    report = simulate(
        "openstack network create --description 'lab net' --provider-network-type vlan "
        "--provider-physical-network sriovnet1 --provider-segment 1000 n\n"
    )
    assert report.steps[0].ok and report.steps[0].ignored == ("--description",)


def test_simulate_cli_names_the_line_of_an_unknown_option(cli, write, guide_root):
    path = write("bad.txt", "openstack network agent list\nopenstack port create --netwrk n p\n")
    code, out, err = cli("simulate", "--host", f"compute-0={guide_root}", "--scenario", path)
    assert code == 2
    assert f"{path}:2: unknown option --netwrk for `openstack port create`" in err
    assert "did you mean --network?" in err and "Traceback" not in err

"""`sriovctl openstack lint|libvirt` on the command line: formats, exit codes, no secrets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sriovctl.cli.output import render_table

EXAMPLES = sorted(str(p) for p in Path("examples/openstack").iterdir())
GUIDE_HOST = "examples/guide-host.tar.gz"
SECRETS = ("Rabbit-S3cret", "Db-S3cret", "Pw-S3cret", "Url-S3cret", "Tok-S3cret", "Bad-S3cret")

SECRET_NOVA = """\
[DEFAULT]
transport_url = rabbit://nova:Rabbit-S3cret@ctl:5672/
[database]
connection = mysql+pymysql://nova:Db-S3cret@ctl/nova
[keystone_authtoken]
password = Pw-S3cret
memcache_secret_key = Tok-S3cret
www_authenticate_uri = http://admin:Url-S3cret@ctl:5000
[pci]
device_spec = {"physical_network": "sriovnet1", "address": "http://u:Url-S3cret@x"}
[filter_scheduler]
enabled_filters = ComputeFilter
"""


@pytest.fixture
def secret_files(tmp_path) -> list[str]:
    nova = tmp_path / "nova.conf"
    nova.write_text(SECRET_NOVA)
    broken = tmp_path / "sriov_agent.ini"  # a syntax error on a secret line: quoted, masked
    broken.write_text("[sriov_nic]\nphysical_device_mappings = sriovnet1:enp49s0f1\n"
                      "[DEFAULT]\n  admin_password = Bad-S3cret\nadmin_password Bad-S3cret\n")
    return [str(nova), str(broken)]


@pytest.mark.parametrize("fmt", ["table", "json", "yaml", "value"])
def test_secrets_never_appear_in_any_format(cli, secret_files, fmt):
    code, out, err = cli("openstack", "lint", "--long", "-f", fmt, "--host", GUIDE_HOST,
                         *secret_files)
    assert code == 1
    for secret in SECRETS:
        assert secret not in out + err
    assert "devspec" in out or "scheduler" in out


def test_secrets_never_appear_in_findings_evidence(secret_files):
    from sriovctl.openstack.lint import run_lint

    text = json.dumps(run_lint(secret_files, host_paths=[GUIDE_HOST]).to_dict())
    for secret in SECRETS:
        assert secret not in text
    assert "***" in text


def test_lint_examples_exit_1_and_json_has_matches(cli):
    code, out, err = cli("openstack", "lint", "-f", "json", "--host", GUIDE_HOST, *EXAMPLES)
    assert code == 1
    doc = json.loads(out)
    assert doc["summary"]["error"] > 0
    assert {m["spec"].rsplit(":", 1)[-1] for m in doc["matches"]} == {"11", "13", "15"}
    assert "errors" in err


def test_lint_clean_files_exit_0(cli, tmp_path):
    nova = tmp_path / "nova.conf"
    nova.write_text('[pci]\ndevice_spec = {"physical_network": "sriovnet1", '
                    '"address": "*:31:12.*"}\n')
    code, out, err = cli("openstack", "lint", "--host", GUIDE_HOST, str(nova))
    assert code == 0, out + err
    assert "0000:31:12.1" in out and "0000:31:12.5" in out


def test_table_keeps_square_brackets():
    # rich would take "[pci]" for markup; the table must print it as text.
    assert "[pci] device_spec" in render_table(["Message"], [["[pci] device_spec is unset"]])


def test_min_severity_and_columns(cli):
    code, out, _ = cli("openstack", "lint", "--min-severity", "error", "-f", "value",
                       "-c", "Severity", *EXAMPLES)
    assert code == 1 and set(out.split()) == {"error"}


@pytest.mark.parametrize("args", [
    ["--role", "x=nova"],                       # file not among the arguments
    ["--role", "FILE=bogus"],
    ["--release", "zzz"],
])
def test_bad_arguments_exit_2_with_one_line(cli, args):
    args = [a.replace("FILE", EXAMPLES[0]) for a in args]
    code, out, err = cli("openstack", "lint", *args, *EXAMPLES)
    assert code == 2 and err.startswith("error:") and len(err.strip().splitlines()) == 1


def test_missing_file_exits_2(cli):
    code, _, err = cli("openstack", "lint", "/nonexistent/nova.conf")
    assert code == 2 and "Failed to find some config files" in err


def test_libvirt_direct_standalone(cli):
    code, out, _ = cli("openstack", "libvirt", "0000:0b:10.5", "--mac", "fa:16:3e:fe:47:d2",
                       "--vlan", "1000")
    assert code == 0 and '<address type="pci" domain="0x0000" bus="0x0b"' in out


def test_libvirt_macvtap_reads_the_vf_netdev_from_a_snapshot(cli):
    code, out, _ = cli("openstack", "libvirt", "--root", GUIDE_HOST, "--vnic-type", "macvtap",
                       "0000:31:12.1", "--vlan", "1000")
    assert code == 0 and 'dev="enp49s0f1v4" mode="passthrough"' in out


def test_libvirt_refuses_a_vf_for_direct_physical(cli):
    code, _, err = cli("openstack", "libvirt", "--root", GUIDE_HOST, "--vnic-type",
                       "direct-physical", "0000:31:12.1")
    assert code == 2 and "is a VF" in err

"""Secrets never leave the config model in clear: values, reprs, error messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sriovctl.errors import InputError
from sriovctl.openstack import config, secrets
from sriovctl.openstack.neutron import config_views

SECRET = "Sup3r-s3cr3t"


def write(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


NEUTRON_CONF = f"""[DEFAULT]
core_plugin = ml2
transport_url = rabbit://openstack:{SECRET}@ctl1:5672,openstack:{SECRET}@ctl2:5672/
[database]
connection = mysql+pymysql://neutron:{SECRET}@ctl/neutron
slave_connection = mysql+pymysql://neutron:{SECRET}@ro/neutron
[keystone_authtoken]
www_authenticate_uri = http://ctl:5000
auth_url = http://admin:{SECRET}@ctl:5000
password = {SECRET}
memcache_secret_key = {SECRET}
certfile = /etc/ssl/x.pem
keyfile = /etc/ssl/x.key
key_file = /etc/ssl/x.key
token_cache_time = 300
[nova]
password =
  {SECRET}
[oslo_messaging_notifications]
transport_url = {SECRET}
[key_manager]
fixed_key = {SECRET}
"""


def test_secret_values_are_masked_everywhere(tmp_path):
    cs = config.read_config([write(tmp_path / "neutron.conf", NEUTRON_CONF)])
    assert SECRET not in repr(cs)
    assert SECRET not in repr(config_views.ml2_view(cs))
    ka = cs.files[0].sections["keystone_authtoken"]
    assert ka["password"][0].value == "***" and ka["password"][0].redacted
    assert ka["auth_url"][0].value == "http://admin:***@ctl:5000"
    assert ka["www_authenticate_uri"][0].value == "http://ctl:5000"
    assert not ka["www_authenticate_uri"][0].redacted
    assert ka["key_file"][0].value == "/etc/ssl/x.key"
    assert ka["token_cache_time"][0].value == "300"
    assert cs.effective(("DEFAULT", "transport_url")).value == "***"
    assert cs.effective(("nova", "password")).value == "***"  # multi-line secret


@pytest.mark.parametrize(
    ("option", "secret"),
    [
        ("transport_url", True),
        ("connection", True),
        ("slave_connection", True),
        ("admin_password", True),
        ("metadata_proxy_shared_secret", True),
        ("admin_token", True),
        ("memcache_secret_key", True),
        ("fixed_key", True),
        ("api_key", True),
        ("credential", True),
        ("key_file", False),
        ("ssl_key_file", False),
        ("token_cache_time", False),
        ("connection_recycle_time", False),
        ("keystone_region", False),
        ("keymap", False),
        ("physical_device_mappings", False),
        ("device_spec", False),
    ],
)
def test_which_options_are_secret(option, secret):
    assert secrets.is_secret_option(option) is secret


def test_url_credentials_masked_in_any_value():
    assert secrets.redact_url_credentials("rabbit://u:p@h:5672/") == "rabbit://u:***@h:5672/"
    assert secrets.redact_url_credentials("a http://x:p@w@h/ b") == "a http://x:***@h/ b"
    assert secrets.redact_url_credentials("//u:p@h/db") == "//u:***@h/db"
    assert secrets.redact_url_credentials("http://h:5000/v3") == "http://h:5000/v3"
    assert secrets.redact_value("memcached_servers", "") == ("", False)


def test_parse_errors_do_not_quote_secrets(tmp_path):
    cases = [
        f"[database]\n  connection = mysql://u:{SECRET}@h/db\n",
        f"  password = {SECRET}\n",
        f"[DEFAULT]\n  http://admin:{SECRET}@ctl:5000\n",
    ]
    for text in cases:
        with pytest.raises(InputError) as e:
            config.read_file(write(tmp_path / "bad.conf", text))
        assert SECRET not in e.value.one_line()


def test_connection_with_a_missing_equals_sign_does_not_leak(tmp_path):
    # ':' separates too: the key becomes "connection mysql" and the value "//u:...@h/db".
    f = config.read_file(
        write(tmp_path / "c.conf", f"[database]\nconnection mysql://u:{SECRET}@h/db\n")
    )
    assert SECRET not in repr(f)


def test_view_errors_do_not_leak(tmp_path):
    text = f"[sriov_nic]\nphysical_device_mappings = http://u:{SECRET}@h\n"
    view = config_views.sriov_agent_view(config.read_config([write(tmp_path / "a.ini", text)]))
    assert view.physical_device_mappings.error is not None
    assert SECRET not in view.physical_device_mappings.error.one_line()


_word = st.text(alphabet=st.sampled_from(list("abcXYZ019!$%^&*()+/@:")), min_size=6, max_size=20)


@settings(max_examples=200, deadline=None)
@given(secret=_word.filter(lambda s: "@" not in s and ":" not in s and "/" not in s))
def test_fuzzed_secrets_never_in_repr(tmp_path_factory, secret):
    text = (
        "[DEFAULT]\n"
        f"transport_url = rabbit://user:{secret}@host:5672/\n"
        f"[database]\nconnection = mysql://nova:{secret}@db/nova\n"
        f"[keystone_authtoken]\npassword = {secret}\n"
        f"auth_url = https://admin:{secret}@ctl:5000/v3\n"
    )
    path = tmp_path_factory.mktemp("s") / "x.conf"
    cs = config.read_config([write(path, text)])
    assert secret not in repr(cs)

"""Reading OpenStack ini files: oslo.config's syntax, precedence, config dirs, errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sriovctl.errors import InputError
from sriovctl.openstack import config


def write(path: Path, text: str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_repeated_options_single_last_wins_multi_keeps_all(tmp_path):
    nova = write(
        tmp_path / "nova.conf",
        "[pci]\n"
        'device_spec = {"devname": "eth3", "physical_network": "physnet2"}\n'
        'device_spec = {"devname": "eth4", "physical_network": "physnet3"}\n'
        "[filter_scheduler]\n"
        "enabled_filters = ComputeFilter\n"
        "enabled_filters = ComputeFilter, PciPassthroughFilter\n",
    )
    cs = config.read_config([nova])
    specs = cs.values(("pci", "device_spec"))
    assert [v.line for v in specs] == [2, 3]
    assert specs[1].value == '{"devname": "eth4", "physical_network": "physnet3"}'
    assert specs[0].where == f"{nova}:2"
    assert cs.effective(("filter_scheduler", "enabled_filters")).line == 6


def test_ini_syntax_as_oslo(tmp_path):
    path = write(
        tmp_path / "a.conf",
        "# comment\n"
        "[DEFAULT]\n"
        "quoted = 'a b'\n"
        "colon: value\n"
        "inline = x # not a comment\n"
        "multi = first\n"
        "  second\n"
        "\tthird\n"
        "\n"
        "; another comment\n"
        "empty =\n"
        "after = 1\n",
    )
    f = config.read_file(path)

    def get(option):
        return f.get("DEFAULT", option)[0].value

    assert get("quoted") == "a b"
    assert get("colon") == "value"
    assert get("inline") == "x # not a comment"
    assert get("multi") == "first\nsecond\nthird"
    assert f.get("DEFAULT", "multi")[0].line == 6
    assert get("empty") == ""
    assert f.get("DEFAULT", "after")[0].line == 12


def test_crlf_and_lone_cr_newlines(tmp_path):
    path = tmp_path / "crlf.conf"
    path.write_bytes(b"[DEFAULT]\r\na = 1\r\nb = 2\rc = 3\n")
    f = config.read_file(str(path))
    assert [f.get("DEFAULT", k)[0].line for k in "abc"] == [2, 3, 4]


def test_section_names_case_insensitive_except_default(tmp_path):
    path = write(tmp_path / "s.conf", "[SRIOV_NIC]\nx = 1\n[default]\ny = 2\n[DEFAULT]\nz = 3\n")
    cs = config.read_config([path])
    assert cs.effective(("sriov_nic", "x")).value == "1"
    assert cs.effective(("SRIOV_NIC", "x")).value == "1"
    assert cs.effective(("DEFAULT", "y")) is None  # [default] is another group
    assert cs.effective((None, "z")).value == "3"
    assert cs.files[0].get("sriov_nic", "x")[0].section == "SRIOV_NIC"


def test_option_names_are_exact(tmp_path):
    path = write(tmp_path / "s.conf", "[sriov_nic]\nphysical-device-mappings = a:b\n")
    assert config.read_config([path]).effective(("sriov_nic", "physical_device_mappings")) is None


def test_config_dir_read_after_files_in_sorted_order(tmp_path):
    main = write(tmp_path / "nova.conf", "[pci]\nalias = main\n[DEFAULT]\ndebug = false\n")
    d = tmp_path / "nova.conf.d"
    write(d / "20-b.conf", "[pci]\nalias = b\n[DEFAULT]\ndebug = true\n")
    write(d / "10-a.conf", "[pci]\nalias = a\n")
    write(d / ".hidden.conf", "[pci]\nalias = hidden\n")
    write(d / "notes.txt", "[pci]\nalias = txt\n")
    cs = config.read_config([main], [str(d)])
    assert [Path(p).name for p in cs.paths] == ["nova.conf", "10-a.conf", "20-b.conf"]
    assert [v.value for v in cs.values(("pci", "alias"))] == ["main", "a", "b"]
    assert cs.effective(("DEFAULT", "debug")).value == "true"


def test_sources_from_argv_keep_order(tmp_path):
    argv = [
        "--config-file",
        "/etc/neutron/neutron.conf",
        "--config-dir=/etc/neutron/d",
        "--log-file",
        "x",
    ]
    argv += ["--config-file=/etc/neutron/plugins/ml2/sriov_agent.ini"]
    assert config.sources_from_argv(argv) == [
        config.ConfigSource("/etc/neutron/neutron.conf", "file"),
        config.ConfigSource("/etc/neutron/d", "dir"),
        config.ConfigSource("/etc/neutron/plugins/ml2/sriov_agent.ini", "file"),
    ]


def test_deprecated_names_precedence(tmp_path):
    one = write(tmp_path / "1.conf", "[pci]\ndevice_spec = new1\npassthrough_whitelist = old1\n")
    two = write(tmp_path / "2.conf", "[pci]\npassthrough_whitelist = old2\n")
    cs = config.read_config([one, two])
    old = [("pci", "passthrough_whitelist")]
    # MultiStrOpt: per file, deprecated-name values first (oslo prepends them).
    assert [v.value for v in cs.values(("pci", "device_spec"), old)] == ["old1", "new1", "old2"]
    # Single-valued: the last file that has any name wins, even under the old name.
    assert cs.effective(("pci", "device_spec"), old).value == "old2"
    assert config.read_config([two, one]).effective(("pci", "device_spec"), old).value == "new1"


@pytest.mark.parametrize(
    ("files", "multi"),
    [
        (["[pci]\ndevice_spec = a\ndevice_spec = b\n", "[pci]\npassthrough_whitelist = c\n"], True),
        (
            [
                "[pci]\npassthrough_whitelist = a\n[DEFAULT]\npci_passthrough_whitelist = z\n",
                "[PCI]\ndevice_spec = b\n",
            ],
            True,
        ),
        (
            [
                "[pci]\ndevice_spec = a\npassthrough_whitelist = b\n",
                "[pci]\npassthrough_whitelist = c\ndevice_spec = d\n",
            ],
            False,
        ),
        (["[pci]\npassthrough_whitelist = a\n", "[pci]\n"], False),
    ],
)
def test_same_answer_as_oslo_config(tmp_path, files, multi):
    """Differential check against oslo.config's ConfigOpts for MultiStrOpt and StrOpt."""
    from oslo_config import cfg

    paths = [write(tmp_path / f"{i}.conf", text) for i, text in enumerate(files)]
    deprecated = [cfg.DeprecatedOpt("passthrough_whitelist", group="pci"),
                  cfg.DeprecatedOpt("pci_passthrough_whitelist", group="DEFAULT")]  # fmt: skip
    conf = cfg.ConfigOpts()
    opt_cls = cfg.MultiStrOpt if multi else cfg.StrOpt
    conf.register_opt(opt_cls("device_spec", deprecated_opts=deprecated), group="pci")
    args = [arg for p in paths for arg in ("--config-file", p)]
    conf(args=args, default_config_files=[], default_config_dirs=[])
    ours = config.read_config(paths)
    names = [("pci", "passthrough_whitelist"), ("DEFAULT", "pci_passthrough_whitelist")]
    if multi:
        assert [v.value for v in ours.values(("pci", "device_spec"), names)] == conf.pci.device_spec
    else:
        got = ours.effective(("pci", "device_spec"), names)
        assert (got.value if got else None) == conf.pci.device_spec


def test_classify_by_sections(tmp_path):
    cases = {
        "[sriov_nic]\nphysical_device_mappings = physnet2:eth3\n[securitygroup]\n": (
            "sriov_agent",
        ),
        "[ml2]\nmechanism_drivers = openvswitch,sriovnicswitch\n": ("ml2",),
        "[agent]\nextensions = fdb\n[FDB]\nshared_physical_device_mappings = p:e\n": ("ovs_agent",),
        "[ovs]\nbridge_mappings = p:br\n[agent]\nextensions = fdb\n": ("ovs_agent",),
        "[pci]\ndevice_spec = {}\n": ("nova",),
        "[DEFAULT]\ncore_plugin = ml2\n": ("neutron",),
        "[DEFAULT]\ndebug = true\n": ("unknown",),
    }
    for text, roles in cases.items():
        assert config.read_file(write(tmp_path / "x.conf", text)).roles == roles, text
    forced = config.read_file(write(tmp_path / "y.conf", "[DEFAULT]\n"), role="neutron")
    assert forced.role == "neutron"
    assert config.read_config([str(tmp_path / "x.conf")]).with_role("unknown").files


BAD_SYNTAX = [
    ("[DEFAULT]\nnovalue\n", 2, "No ':' or '=' found in assignment"),
    ("[DEFAULT]\n= value\n", 2, "Key cannot be empty"),
    ("  indented = 1\n", 1, "Unexpected continuation line"),
    ("[DEFAULT\n", 1, "Invalid section (must end with ])"),
    ("[]\n", 1, "Empty section name"),
    ("a = 1\n[DEFAULT]\n", 1, "Section must be started before assignment"),
]


@pytest.mark.parametrize(("text", "line", "wording"), BAD_SYNTAX)
def test_bad_syntax_is_an_input_error_with_file_line(tmp_path, text, line, wording):
    path = write(tmp_path / "bad.conf", text)
    with pytest.raises(InputError) as e:
        config.read_file(path)
    assert e.value.message.startswith(f"{path}:{line}: {wording}")
    assert e.value.fix


def test_non_utf8_names_the_line(tmp_path):
    path = tmp_path / "latin1.conf"
    path.write_bytes("[DEFAULT]\na = 1\nname = caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError) as e:
        config.read_file(str(path))
    assert e.value.message.startswith(f"{path}:3: 'utf-8' codec can't decode byte 0xe9")


def test_utf8_bom_is_refused_like_oslo(tmp_path):
    path = tmp_path / "bom.conf"
    path.write_bytes(b"\xef\xbb\xbf[DEFAULT]\na = 1\n")
    with pytest.raises(InputError) as e:
        config.read_file(str(path))
    assert "No ':' or '=' found in assignment" in e.value.message
    assert "BOM" in e.value.fix


def test_missing_file_directory_and_missing_dir(tmp_path):
    with pytest.raises(InputError, match="Failed to find some config files"):
        config.read_config([str(tmp_path / "nope.conf")])
    with pytest.raises(InputError, match="is a directory"):
        config.read_config([str(tmp_path)])
    with pytest.raises(InputError, match="Failed to read config file directory"):
        config.read_config(dirs=[str(tmp_path / "nope.d")])
    (tmp_path / "d" / "sub.conf").mkdir(parents=True)
    with pytest.raises(InputError, match="is a directory"):
        config.read_config(dirs=[str(tmp_path / "d")])


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path):
    path = write(tmp_path / "secret.conf", "[DEFAULT]\n")
    os.chmod(path, 0)
    with pytest.raises(InputError, match="Failed to open some config files"):
        config.read_file(path)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("[]=:#; \t\nab_-'\"é\r")), max_size=80))
def test_any_text_parses_or_is_an_input_error(text):
    try:
        parsed = config.parse_text("fuzz.conf", text)
    except InputError as e:
        assert e.message.startswith("fuzz.conf:")
    else:
        for options in parsed.sections.values():
            for values in options.values():
                assert all(v.line >= 1 for v in values)


_line = st.tuples(
    st.sampled_from(["pci", "PCI", "DEFAULT", "default"]),
    st.sampled_from(["device_spec", "passthrough_whitelist", "pci_passthrough_whitelist"]),
    st.sampled_from(["a", "b", "c"]),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(_line, max_size=4), min_size=1, max_size=3), st.booleans())
def test_fuzz_precedence_against_oslo_config(tmp_path_factory, files, multi):
    from oslo_config import cfg

    root = tmp_path_factory.mktemp("cfg")
    paths = []
    for i, lines in enumerate(files):
        text = "".join(f"[{s}]\n{o} = {v}{i}\n" for s, o, v in lines)
        paths.append(write(root / f"{i}.conf", text))
    old = [("pci", "passthrough_whitelist"), ("DEFAULT", "pci_passthrough_whitelist")]
    conf = cfg.ConfigOpts()
    opt = (cfg.MultiStrOpt if multi else cfg.StrOpt)(
        "device_spec", deprecated_opts=[cfg.DeprecatedOpt(o, group=g) for g, o in old]
    )
    conf.register_opt(opt, group="pci")
    conf(args=[a for p in paths for a in ("--config-file", p)], default_config_files=[])
    ours = config.read_config(paths)
    if multi:
        assert [v.value for v in ours.values(("pci", "device_spec"), old)] == (
            conf.pci.device_spec or []
        )
    else:
        found = ours.effective(("pci", "device_spec"), old)
        assert (found.value if found else None) == conf.pci.device_spec

# Copyright sriovctl authors. Apache-2.0 (see the repository's pyproject.toml).
"""Ansible module: the host's SR-IOV inventory and readiness check as facts."""

from __future__ import annotations

DOCUMENTATION = r"""
module: sriov_facts
short_description: The host's SR-IOV inventory and readiness check, as Ansible facts
description:
  - Sets C(sriov_inventory), the document C(sriovctl inspect -f json) prints (schema
    sriovctl.inventory/1), and C(sriov_check), the one C(sriovctl check -f json) prints.
  - Read-only; runs the same in check mode. C(sriovctl report) reads the facts of many
    hosts (a C(--tree) directory or a json-callback run) into one fleet view.
  - Needs the sriovctl Python package on the managed node.
version_added: "0.1.0"
options:
  root:
    description: C(/) for the host itself, or a snapshot directory or tarball.
    type: path
    default: /
  check:
    description: Also run the readiness checks (C(sriov_check)).
    type: bool
    default: true
author: sriovctl authors
"""

EXAMPLES = r"""
- name: SR-IOV facts for the fleet report
  sriovctl.sriov.sriov_facts:
"""

RETURN = r"""
ansible_facts:
  description: sriov_inventory and sriov_check.
  returned: always
  type: dict
"""

# Ansible's layout: the documentation blocks above come first (ansible-doc reads them).
from ansible.module_utils.basic import AnsibleModule, missing_required_lib  # noqa: E402

try:
    from sriovctl.checks import run_checks, summarize
    from sriovctl.errors import SriovctlError
    from sriovctl.host.inventory import to_inventory
    from sriovctl.host.read import load_host

    IMPORT_ERROR = None
except ImportError as e:
    IMPORT_ERROR = e


def main():
    module = AnsibleModule(
        argument_spec={"root": {"type": "path", "default": "/"},
                       "check": {"type": "bool", "default": True}},
        supports_check_mode=True,
    )
    if IMPORT_ERROR is not None:
        module.fail_json(msg=missing_required_lib("sriovctl"), exception=str(IMPORT_ERROR))
    try:
        host = load_host(module.params["root"])
    except SriovctlError as e:
        module.fail_json(msg=e.one_line())
    facts = {"sriov_inventory": to_inventory(host), "sriov_check": None}
    if module.params["check"]:
        findings = run_checks(host)
        facts["sriov_check"] = {"host": host.label, "summary": summarize(findings),
                                "findings": [f.to_dict() for f in findings]}
    module.exit_json(changed=False, ansible_facts=facts)


if __name__ == "__main__":
    main()

# Copyright sriovctl authors. Apache-2.0 (see the repository's pyproject.toml).
"""Ansible module: make one host match an sriovctl site spec.

A thin wrapper: the plan, the apply, the verification and the rollback are sriovctl's own
(`sriovctl plan` / `sriovctl apply`), so a playbook and the command line can never disagree.
"""

from __future__ import annotations

DOCUMENTATION = r"""
module: sriov_host
short_description: Make a host's SR-IOV state and OpenStack files match an sriovctl site spec
description:
  - Plans the changes that make the host match the site spec (kernel arguments, VF counts,
    VF settings, vfio-pci binding, persistence, nova/neutron files, service restarts) and
    applies them in that order with sriovctl's executor; reads the host back and rolls
    everything back when it does not match or a step fails.
  - In check mode it only plans; C(changed) is true when the plan is not empty.
  - With C(--diff) it returns each file's content before and after, and the other changes
    (VF counts, settings, drivers) as one prepared text.
  - Needs the sriovctl Python package on the managed node (pip install sriovctl), for the
    Python that runs the module (ansible_python_interpreter).
version_added: "0.1.0"
options:
  site:
    description: Path of the site spec (YAML) on the managed node.
    type: path
  spec:
    description: The site spec's text (e.g. C(lookup('file', 'site.yaml'))); no copy needed.
    type: str
  host:
    description:
      - The name matched against the spec's host patterns, usually C(inventory_hostname).
      - Defaults to the machine's hostname.
    type: str
  root:
    description:
      - C(/) for the host itself; a directory holding a copy of a host (files are changed
        there, commands are not run, VF changes are refused); a snapshot tarball (check
        mode only).
    type: path
    default: /
  force:
    description: Take VFs from their users when a resize or rebind needs it.
    type: bool
    default: false
  timeout:
    description: Seconds to wait for VFs and their netdevs after a count change.
    type: float
    default: 60
author: sriovctl authors
"""

EXAMPLES = r"""
- name: SR-IOV as the site spec says
  sriovctl.sriov.sriov_host:
    spec: "{{ lookup('ansible.builtin.file', 'site.yaml') }}"
    host: "{{ inventory_hostname }}"
"""

RETURN = r"""
plan:
  description: The plan (as `sriovctl plan -f json` prints it), made before any change.
  returned: always
  type: dict
message:
  description: What happened, e.g. "compute-0 already matches site.yaml; nothing changed".
  returned: always
  type: str
reboot_required:
  description: Kernel arguments are configured that the running kernel does not have.
  returned: always
  type: bool
not_run:
  description: Commands not run because I(root) is not the live host.
  returned: when not in check mode
  type: list
  elements: str
log:
  description: Progress lines (each step as it ran, waits, rollbacks).
  returned: always
  type: list
  elements: str
"""

# Ansible's layout: the documentation blocks above come first (ansible-doc reads them).
from ansible.module_utils.basic import AnsibleModule, missing_required_lib  # noqa: E402

try:
    from sriovctl.errors import SriovctlError
    from sriovctl.site.apply import apply_host
    from sriovctl.site.env import site_env
    from sriovctl.site.plan import plan_host
    from sriovctl.site.spec import load_site, parse_site

    IMPORT_ERROR = None
except ImportError as e:  # the module still loads, to say what is missing
    IMPORT_ERROR = e


def _site(module):
    if module.params["spec"] is not None:
        return parse_site(module.params["spec"], "site.yaml")
    return load_site(module.params["site"])


def _diff(env, plan):
    """Ansible's diff list: one entry per file written, one prepared text for the rest."""
    from sriovctl.changes.files import WriteFile

    out, other = [], []
    for change in plan.changes:
        files = [s for s in change.steps if isinstance(s, WriteFile)]
        for step in files:
            old = env.files.read(step.path)
            out.append({"before_header": step.path, "after_header": step.path,
                        "before": old.content.decode("utf-8", "replace") if old else "",
                        "after": step.content})
        if len(files) < len(change.steps):
            other.append(f"{change.phase} {change.subject}: {change.summary}")
    if other:
        out.append({"prepared": "".join(f"+ {line}\n" for line in other)})
    return out


def main():
    module = AnsibleModule(
        argument_spec={
            "site": {"type": "path"},
            "spec": {"type": "str"},
            "host": {"type": "str"},
            "root": {"type": "path", "default": "/"},
            "force": {"type": "bool", "default": False},
            "timeout": {"type": "float", "default": 60.0},
        },
        required_one_of=[("site", "spec")],
        mutually_exclusive=[("site", "spec")],
        supports_check_mode=True,
    )
    if IMPORT_ERROR is not None:
        module.fail_json(msg=missing_required_lib("sriovctl"), exception=str(IMPORT_ERROR))
    log = []
    p = module.params
    try:
        site = _site(module)
        env = site_env(p["root"], log.append)
        if module.check_mode:
            plan = plan_host(site, env, p["host"], force=p["force"], timeout=p["timeout"])
            result = {"changed": bool(plan.changes), "plan": plan.to_dict(), "log": log,
                      "reboot_required": plan.reboot_required,
                      "message": (f"{plan.host}: {len(plan.changes)} change(s) planned"
                                  if plan.changes else f"{plan.host} already matches "
                                  f"{site.path}; nothing to change")}
            if module._diff:
                result["diff"] = _diff(env, plan)
            if plan.problems:
                module.fail_json(msg=f"{plan.host}: cannot apply {site.path}: "
                                 + "; ".join(plan.problems), **result)
            module.exit_json(**result)
        diff = None
        if module._diff:
            diff = _diff(env, plan_host(site, env, p["host"], force=p["force"]))
        done = apply_host(site, env, p["host"], force=p["force"], timeout=p["timeout"])
        result = done.to_dict()
        result["log"] = log
        if diff is not None and done.changed:
            result["diff"] = diff
        module.exit_json(**result)
    except SriovctlError as e:
        module.fail_json(msg=e.one_line(), log=log)


if __name__ == "__main__":
    main()

# Copyright sriovctl authors. Apache-2.0 (see the repository's pyproject.toml).
"""A whole playbook run as one JSON document on stdout: plays -> tasks -> hosts -> result,
then per-host stats. The shape of ansible.posix's json callback, which ansible-core does not
ship, so that a fleet run can be fed to `sriovctl report` with ansible-core alone:

    ANSIBLE_STDOUT_CALLBACK=sriovctl.sriov.json ansible-playbook site.yml > run.json
    sriovctl report run.json -o fleet.html

Unlike the default screen output it keeps each result's `diff`, so check+diff runs can be
read by programs too.
"""

from __future__ import annotations

DOCUMENTATION = """
    name: json
    type: stdout
    short_description: the playbook run as one JSON document (keeps diffs)
    description:
      - Plays, their tasks and each host's result, then per-host stats, printed once at the
        end; the layout of ansible.posix.json, plus the C(diff) of each result.
"""

# Ansible's layout: the documentation blocks above come first (ansible-doc reads them).
import json  # noqa: E402

from ansible.plugins.callback import CallbackBase  # noqa: E402


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "stdout"
    CALLBACK_NAME = "sriovctl.sriov.json"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.plays = []

    def v2_playbook_on_play_start(self, play):
        self.plays.append({"play": {"name": play.get_name(), "id": str(play._uuid)},
                           "tasks": []})

    def v2_playbook_on_task_start(self, task, is_conditional):
        if not self.plays:
            self.plays.append({"play": {"name": "", "id": ""}, "tasks": []})
        self.plays[-1]["tasks"].append(
            {"task": {"name": task.get_name(), "id": str(task._uuid)}, "hosts": {}})

    v2_playbook_on_handler_task_start = v2_playbook_on_task_start

    def _record(self, result, **flags):
        # ansible-core 2.19 names them result.host / result.result; older ones _host/_result
        host = getattr(result, "host", None) or result._host
        data = getattr(result, "result", None)
        if data is None:
            data = result._result
        plain = json.loads(self._dump_results(data, sort_keys=False))
        if "diff" in data:  # _dump_results drops it: it is what --diff runs are read for
            plain["diff"] = json.loads(json.dumps(data["diff"], default=str))
        plain.update(flags)
        self.plays[-1]["tasks"][-1]["hosts"][host.get_name()] = plain

    def v2_runner_on_ok(self, result):
        self._record(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, failed=True)

    def v2_runner_on_unreachable(self, result):
        self._record(result, unreachable=True)

    def v2_runner_on_skipped(self, result):
        self._record(result, skipped=True)

    def v2_playbook_on_stats(self, stats):
        summary = {host: stats.summarize(host) for host in sorted(stats.processed)}
        self._display.display(json.dumps({"plays": self.plays, "stats": summary}, indent=2))

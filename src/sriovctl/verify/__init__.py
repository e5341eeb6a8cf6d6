"""``sriovctl verify``: the operator guide's §7 smoke test against a live cloud.

Modules: :mod:`.cloud` (openstacksdk, neutron's JSON), :mod:`.smoke` (the steps),
:mod:`.predict` (the twin's prediction and the comparison), :mod:`.expect` (what the
config files say), :mod:`.cleanup` (nothing left behind), :mod:`.report` (the result).
Nothing here imports openstacksdk until a cloud is used.
"""

from __future__ import annotations

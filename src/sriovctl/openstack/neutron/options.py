"""How oslo.config turns a raw ini value into a list or a dict, before neutron sees it.

neutron's parsers receive what oslo.config's ``ListOpt``/``DictOpt`` produced, not the
raw text, so the splitting rules matter: a trailing comma is dropped, items are
stripped, an empty item in the middle is kept (``a,,b`` gives ``['a', '', 'b']``).
These two functions reproduce ``oslo_config.types.List()`` and ``Dict()`` with string
items; the test suite checks them against oslo.config itself. They are re-implemented
rather than imported because importing ``oslo_config.types`` costs ~0.1 s.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Union

from sriovctl.openstack.neutron.errors import NeutronError

#: What a caller may pass where neutron expects a ListOpt value: the raw ini text
#: or an already split list.
ListValue = Union[str, Sequence[str], None]


def list_value(raw: ListValue) -> list[str]:
    """``oslo_config.types.List()`` for strings: ``" a, b ,"`` -> ``['a', 'b']``.

    ``None`` (option absent) gives ``[]``; a list passes through with items as str.
    """
    if raw is None:
        return []
    if not isinstance(raw, str):
        return [str(item) for item in raw]
    text = raw.strip().rstrip(",")
    if not text:
        return []
    return [item.strip() for item in text.split(",")]


def dict_value(raw: str | dict | None) -> dict[str, str]:
    """``oslo_config.types.Dict()`` for strings: ``"a:1, b:2"`` -> ``{'a': '1', 'b': '2'}``.

    Pairs split on the first ``:``. A piece without ``:`` is glued to the next piece
    with a comma, as oslo.config does (so ``a,b:1`` is the key ``a,b``). Errors use
    oslo.config's wording.
    """
    if raw is None:
        return {}
    if isinstance(raw, dict):
        return dict(raw)
    text = raw.strip()
    if text == "":
        return {}
    result: dict[str, str] = {}
    pieces = text.split(",")
    while pieces:
        pair = pieces.pop(0)
        while ":" not in pair:
            if not pieces:
                raise NeutronError(
                    'Value should be NAME:VALUE pairs separated by ","',
                    fix="write the option as key:value,key:value",
                )
            pair += "," + pieces.pop(0)
        key, value = (part.strip() for part in pair.split(":", 1))
        if key == "":
            raise NeutronError("Key name should not be empty", fix="give every pair a key")
        if key in result:
            raise NeutronError(f"Duplicate key {key}", fix=f"list {key} only once")
        result[key] = value
    return result

"""``oslo_utils.strutils.bool_from_string``, the way nova reads boolean tags.

Re-implemented (it is ten lines) so that parsing a device_spec does not import
oslo.utils; the test suite checks it against the real one's documented table.
"""

from __future__ import annotations

from typing import Any

TRUE_STRINGS = ("1", "t", "true", "on", "y", "yes")
FALSE_STRINGS = ("0", "f", "false", "off", "n", "no")


def bool_from_string(subject: Any, strict: bool = False, default: bool = False) -> bool:
    """Interpret ``subject`` as a boolean, exactly like oslo.utils.

    A ``bool`` is returned as is; anything else is ``str()``-ed, stripped and
    lowercased, then looked up in :data:`TRUE_STRINGS` / :data:`FALSE_STRINGS`.
    Unknown values give ``default``, or raise ``ValueError`` (oslo's wording)
    when ``strict``.
    """
    if isinstance(subject, bool):
        return subject
    if not isinstance(subject, str):
        subject = str(subject)
    lowered = subject.strip().lower()
    if lowered in TRUE_STRINGS:
        return True
    if lowered in FALSE_STRINGS:
        return False
    if strict:
        acceptable = ", ".join(f"'{s}'" for s in sorted(TRUE_STRINGS + FALSE_STRINGS))
        raise ValueError(f"Unrecognized value '{subject}', acceptable values are: {acceptable}")
    return default

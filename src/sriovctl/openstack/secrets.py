"""Which OpenStack option values are secrets, and how they are masked.

The config model (:mod:`sriovctl.openstack.config`) masks values as it reads them, so
a secret never reaches a finding, a repr, a log line or an error message in clear.
The rules, chosen to over-mask rather than leak:

1. Always secret: ``transport_url``, and any option whose last ``_``-separated part is
   ``connection`` (``[database] connection``, ``slave_connection``, ...): they are URLs
   with passwords.
2. Secret when the option name contains ``password``, ``passwd``, ``secret``,
   ``token`` or ``credential``, or has ``key`` or ``connection`` as a whole part
   (``fixed_key``, ``api_key``, ``memcache_secret_key``, ``connection_debug``).
   ``keystone_*``, ``keymap`` and ``keys`` are not matched by the part rule.
3. Except names ending in ``_file``, ``_path``, ``_dir``, ``_type``, ``_time``,
   ``_timeout``, ``_expiration``, ``_length``, ``_size``, ``_algorithm``: those name a
   file or a property of a secret, not the secret (``key_file``, ``token_cache_time``).
4. In every other value, the password of a URL with credentials is masked
   (``rabbit://nova:***@ctl:5672/``, also without a scheme: ``//u:***@h``): everything
   between the user name and the URL's last ``@`` goes, so neither a password
   containing ``@`` nor the second host of a multi-host URL leaks a tail.
5. Lines quoted in parse errors get the same treatment (a ``key = value`` line of a
   secret option loses its value).

An empty value stays empty: that a password is unset is a useful finding, not a secret.
"""

from __future__ import annotations

import re

MASK = "***"

_ALWAYS = ("transport_url",)
_SUBSTRINGS = ("password", "passwd", "secret", "token", "credential")
_HARMLESS_SUFFIXES = (
    "_file", "_path", "_dir", "_type", "_time", "_timeout", "_expiration", "_length", "_size",
    "_algorithm",
)  # fmt: skip
# scheme:// then the rest of the URL up to blank space or a quote.
# The scheme is optional: "connection mysql://u:p@h" parses as the key "connection mysql"
# with the value "//u:p@h", and that must not leak either.
_URL = re.compile(r"(?P<scheme>(?:[A-Za-z][A-Za-z0-9+.\-]*:)?//)(?P<rest>[^\s'\"]*)")
_PARTS = re.compile(r"[_\-\s]+")


def is_secret_option(option: str) -> bool:
    """Does the value of ``option`` (any section) have to be masked entirely?"""
    name = option.strip().lower()
    parts = _PARTS.split(name)
    if name in _ALWAYS or parts[-1] == "connection":
        return True
    if name.endswith(_HARMLESS_SUFFIXES):
        return False
    if any(word in name for word in _SUBSTRINGS):
        return True
    return "key" in parts or "connection" in parts


def redact_url_credentials(text: str) -> str:
    """Mask the password of every ``scheme://user:password@host`` in ``text``."""

    def mask(match: re.Match) -> str:
        rest = match.group("rest")
        at = rest.rfind("@")
        if at < 0:
            return match.group(0)
        userinfo = rest[:at]
        user = userinfo.split(":", 1)[0] if ":" in userinfo else ""
        return (
            f"{match.group('scheme')}{user}:{MASK}{rest[at:]}"
            if user
            else f"{match.group('scheme')}{MASK}{rest[at:]}"
        )

    return _URL.sub(mask, text)


def redact_value(option: str, value: str) -> tuple[str, bool]:
    """``(shown value, was anything masked)`` for one option's value."""
    if is_secret_option(option):
        return (MASK, True) if value else (value, False)
    shown = redact_url_credentials(value)
    return shown, shown != value


def redact_line(line: str) -> str:
    """Mask an ini line quoted in an error message (``key = value`` or a bare value)."""
    for sep in ("=", ":"):
        key, found, value = line.partition(sep)
        if found and key.strip() and not key.strip().startswith(("[", "#", ";")):
            if is_secret_option(key):
                return f"{key}{sep} {MASK}" if value.strip() else line
            break
    return redact_url_credentials(line)

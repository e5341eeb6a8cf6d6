"""The site spec against its JSON Schema, every error as `file:line: path: what was expected`.

jsonschema's own messages ("'x' is not of type 'string'") say what is wrong but not what to
write instead; the messages here name the field the way the spec spells it, say what was
expected (from the schema, or from its `x-expected` words), and point at the line.
Keys spelled the Kubernetes SR-IOV operator's way (pfNames, numVfs, deviceID ...) get the
sriovctl spelling as the hint, since that is where many specs will be copied from.
"""

from __future__ import annotations

import difflib
import json
from functools import lru_cache
from importlib import resources
from typing import Any

from sriovctl.site.source import Path, Source, dotted

# the operator's SriovNetworkNodePolicy / SriovNetwork names -> ours
OPERATOR_NAMES = {
    "pfNames": "pf_names", "rootDevices": "root_devices", "deviceID": "device",
    "numVfs": "num_vfs", "nicSelector": "nics", "deviceType": "driver",
    "spoofChk": "spoofchk", "linkState": "link_state", "vlanQoS": "qos",
    "vlanProto": "vlan_proto", "minTxRate": "min_tx_rate", "maxTxRate": "max_tx_rate",
    "nodeSelector": "hosts", "resourceName": "name",
}
TYPE_WORDS = {"object": "a mapping (key: value)", "array": "a list", "string": "a string",
              "integer": "a whole number", "boolean": "true or false", "number": "a number"}


@lru_cache(maxsize=1)
def site_schema() -> dict:
    text = resources.files("sriovctl.site").joinpath("site.schema.json").read_text()
    return json.loads(text)


def schema_problems(source: Source) -> list[str]:
    """Every schema violation, sorted by line; plain scalars are re-read as text where a
    string was expected (see sriovctl.site.source)."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(site_schema())
    for _ in range(3):  # coercion can only reveal deeper errors, never loop
        errors = list(validator.iter_errors(source.data))
        coerced = [e for e in errors if _wants_text(e) and tuple(e.absolute_path)
                   in source.plain_text]
        if not coerced:
            break
        for e in coerced:
            path = tuple(e.absolute_path)
            _set(source.data, path, source.plain_text.pop(path))
    problems: list[tuple[int, str]] = []
    for error in errors:
        for path, text in _explain(error):
            line = source.lines.get(path, 0)
            problems.append((line, f"{source.where(path)}: {dotted(path)}: {text}"))
    return [text for _, text in sorted(set(problems))]


def _wants_text(error: Any) -> bool:
    if error.validator == "type":
        return error.validator_value == "string"
    if error.validator == "enum":
        return all(isinstance(v, str) for v in error.validator_value)
    return False


def _set(data: Any, path: Path, value: Any) -> None:
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value


def _explain(error: Any) -> list[tuple[Path, str]]:
    path: Path = tuple(error.absolute_path)
    schema, value, kind = error.schema, error.instance, error.validator
    expected = schema.get("x-expected")
    if kind == "additionalProperties":
        known = sorted(schema.get("properties", {}))
        out = []
        for key in sorted(set(value) - set(known)):
            hint = OPERATOR_NAMES.get(key) if OPERATOR_NAMES.get(key) in known else None
            hint = hint or next(iter(difflib.get_close_matches(key, known, n=1)), None)
            text = f"unknown key {key!r}" + (f" (did you mean {hint!r}?)" if hint else "")
            out.append(((*path, key), f"{text}; expected one of: {', '.join(known)}"))
        return out
    if kind == "required":
        missing = [k for k in error.validator_value if k not in value]
        return [(path, f"missing {missing[0]!r}" + (f" ({expected})" if expected else ""))]
    if kind == "propertyNames":
        return [((*path, value), f"{value!r} is not {error.schema['propertyNames']['x-expected']}")]
    if kind == "type":
        want = TYPE_WORDS.get(error.validator_value, error.validator_value)
        return [(path, f"expected {expected or want}, got {_shown(value)}")]
    if kind == "enum":
        choices = ", ".join(str(c) for c in error.validator_value)
        return [(path, f"expected one of {choices}; got {_shown(value)}")]
    if kind == "const":
        want = expected or repr(error.validator_value)
        return [(path, f"expected {want}; got {_shown(value)}")]
    if kind == "pattern":
        return [(path, f"expected {expected or 'text matching ' + schema['pattern']}; "
                       f"got {_shown(value)}")]
    if kind in ("minimum", "maximum"):
        word = "at least" if kind == "minimum" else "at most"
        return [(path, f"expected {word} {error.validator_value}; got {_shown(value)}")]
    if kind == "minItems":
        return [(path, f"expected at least {error.validator_value} item(s); got none")]
    if kind == "minProperties":
        return [(path, f"expected {expected or 'at least one key'}; got none")]
    if kind == "uniqueItems":
        return [(path, f"expected each item once; got duplicates in {_shown(value)}")]
    if kind == "minLength":
        return [(path, "expected a non-empty string")]
    return [(path, error.message)]


def _shown(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean; quote it if you meant text)"
    if isinstance(value, (int, float)):
        return f"{value!r} (a number)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)

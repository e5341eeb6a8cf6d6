"""YAML read so every value keeps its line: errors point at `site.yaml:14` and the field path.

PyYAML's safe loader is used for the scalars (so types are YAML's), but the tree is walked
here to record where each value sits, to refuse duplicate keys (PyYAML silently keeps the
last one, which hides a copy-paste mistake in a 40-group spec), and to keep the text of
plain scalars: `vendor: 8086` reads as the number 8086 and `0000:31:00.1` as a base-60
float in YAML 1.1, and the loader uses the text instead when the schema wants a string.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sriovctl.errors import InputError

Path = tuple  # of str keys and int indexes


@dataclass
class Source:
    name: str  # the file name as given, for messages
    data: Any
    lines: dict[Path, int] = field(default_factory=dict)  # path -> 1-based line
    plain_text: dict[Path, str] = field(default_factory=dict)  # unquoted scalars as written

    def where(self, path: Path) -> str:
        """`site.yaml:14` for the nearest enclosing value that has a line."""
        p = tuple(path)
        while p and p not in self.lines:
            p = p[:-1]
        line = self.lines.get(p)
        return f"{self.name}:{line}" if line else self.name


def dotted(path: Path) -> str:
    """('groups', 0, 'nics', 'pf_names', 1) -> groups[0].nics.pf_names[1]"""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def load_yaml(text: str, name: str) -> Source:
    import yaml  # lazily: only commands that read a spec need it

    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        source = Source(name, None)
        source.data = _walk(loader, node, (), source) if node is not None else None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        at = f"{name}:{mark.line + 1}" if mark else name
        raise InputError(f"{at}: not valid YAML: {e.problem or e.context}",
                         fix="check the indentation and quoting on that line") from None
    except yaml.YAMLError as e:
        raise InputError(f"{name}: not valid YAML: {e}") from None
    finally:
        loader.dispose()
    return source


def _walk(loader: Any, node: Any, path: Path, source: Source) -> Any:
    import yaml

    source.lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)  # resolves `<<:` merge keys as YAML does
        out: dict = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key)
            if key in out:
                raise InputError(
                    f"{source.name}:{key_node.start_mark.line + 1}: {dotted((*path, key))} "
                    f"is given twice (first at line {source.lines[(*path, key)]})",
                    fix="keep one of them: YAML would silently use the last")
            source.lines[(*path, key)] = key_node.start_mark.line + 1
            out[key] = _walk(loader, value_node, (*path, key), source)
            source.lines[(*path, key)] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_walk(loader, child, (*path, i), source) for i, child in enumerate(node.value)]
    value = loader.construct_object(node, deep=True)
    if isinstance(node, yaml.ScalarNode) and node.style is None and not isinstance(value, str):
        source.plain_text[path] = node.value
    return value

"""YAML as charts read and write it: fast, safe, and faithful to Kubernetes.

Owns: the loader (libyaml's CSafeLoader when present, without the YAML 1.1
timestamp rule, so `date: 2024-01-01` stays the string the API server
expects), the dumper (block style, keys in the author's order, multi-line
strings as `|` blocks, template-context mappings dumped as plain mappings),
splitting a rendered file into documents with their first line, and finding
the line of a value path in a small YAML file (for Chart.yaml messages).

Must not: know about charts, templates or errors; callers translate
`yaml.YAMLError` at their boundary.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

import yaml

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BaseDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """Safe loader that leaves timestamps as strings."""


Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class Dumper(_BaseDumper):  # type: ignore[misc,valid-type]
    """Safe dumper for manifests and `to_yaml`: no anchors, even for shared subtrees."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    if "\n" in data:
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
    return dumper.represent_str(data)


def _represent_mapping(dumper: yaml.SafeDumper, data: dict) -> yaml.Node:
    return dumper.represent_dict(data)


def _represent_sequence(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
    return dumper.represent_list(data)


Dumper.add_representer(str, _represent_str)


def register_mapping(cls: type) -> None:
    """Let a dict or Mapping subclass (e.g. the template `Values`) dump as a plain mapping."""
    Dumper.add_representer(cls, _represent_mapping)


def register_sequence(cls: type) -> None:
    """Let a list subclass dump as a plain sequence."""
    Dumper.add_representer(cls, _represent_sequence)


def load(text: str | bytes) -> Any:
    """Parse one YAML document."""
    return yaml.load(text, Loader=Loader)  # noqa: S506 - Loader is a safe loader


def dump(data: Any) -> str:
    """Block-style YAML, keys in insertion order, ending with a newline."""
    return yaml.dump(data, Dumper=Dumper, default_flow_style=False, sort_keys=False, allow_unicode=True, width=1 << 16)


_DOCUMENT_START = re.compile(r"^---(?:[ \t]|$)", re.MULTILINE)


def split_documents(text: str) -> Iterator[tuple[int, str]]:
    """Yield (first line number, text) of each `---`-separated document.

    A `---` at column 0 always starts a document in YAML, even inside a block
    scalar, so splitting on it is exact; the marker line itself is blanked so
    line numbers inside each piece stay those of the whole file.
    """
    start = 0
    line = 1
    for match in _DOCUMENT_START.finditer(text):
        yield line, text[start:match.start()]
        line += text.count("\n", start, match.start())
        # Keep what follows the marker on its line (`--- # comment`, `--- key: v`).
        start = match.start() + 3
    yield line, text[start:]


def line_of(text: str, path: tuple) -> int | None:
    """1-based line where the value at `path` starts in a YAML document (None if absent)."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    line = None
    for key in path:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == key:
                    line, node = key_node.start_mark.line + 1, value_node
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            return line
    return line if path else 1

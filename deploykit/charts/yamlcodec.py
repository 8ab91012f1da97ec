"""YAML as charts read and write it: fast, safe, and faithful to Kubernetes.

Owns: the loader (libyaml's CSafeLoader when present, typing plain scalars
by Helm's rule from `deploykit.yamlscalars`: `date: 2024-01-01` and `1:30`
stay strings, `on` and `y` are booleans, keys become strings as Helm spells
them, a `<<` merge overrides the keys before it, infinities and NaN are
refused since JSON cannot hold them), the dumper (block style, keys in the
author's order, multi-line strings as `|` blocks, every string that a YAML
1.1 or 1.2 reader or Helm would retype quoted, template-context mappings
dumped as plain mappings),
splitting a rendered file into documents with their first line, and finding
the line of a value path in a small YAML file (for Chart.yaml messages).

Must not: know about charts, templates or errors; callers translate
`yamlcodec.YAMLError` (PyYAML's) at their boundary; import PyYAML before a
text or value needs it (`Loader`, `Dumper` and `YAMLError` are made on first
use): a `template` of plain block YAML never loads it.
"""

from __future__ import annotations

import collections
import functools
import marshal
import math
import re
from typing import Any, Iterator

from deploykit import blockyaml, yamlscalars


def _build_loader() -> type:
    import yaml

    class Loader(yamlscalars.HelmResolver, getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
        """Safe loader with Helm's typing of plain scalars and keys, and Helm's order for `<<` merges."""

        def construct_helm_scalar(self, node: yaml.ScalarNode) -> Any:
            try:
                value = yamlscalars.tagged(node.tag, node.value)
            except ValueError as exc:
                raise yaml.constructor.ConstructorError(None, None, str(exc), node.start_mark) from None
            if type(value) is float and not math.isfinite(value):
                raise yaml.constructor.ConstructorError(
                    None, None, f"`{node.value}` is {'NaN' if math.isnan(value) else 'infinite'}, which JSON cannot hold; "
                    "quote it if you mean the string", node.start_mark)
            return value

        def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
            mapping = super().construct_mapping(node, deep=deep)
            if all(type(key) is str for key in mapping):
                return mapping
            # sigs.k8s.io/yaml turns keys into strings: `y:` is "true", `1e3:` is "1000"; Helm refuses a null key.
            result = {}
            for key, value in mapping.items():
                text = yamlscalars.key_text(key)
                if text is None:
                    raise yaml.constructor.ConstructorError(None, None, "a mapping key is null", node.start_mark)
                result[text] = value
            return result

        def flatten_mapping(self, node: yaml.MappingNode) -> None:
            """Inline each `<<` where it stands, so it overrides the keys before it and yields to those after (go-yaml's order)."""
            pairs = []
            for key_node, value_node in node.value:
                if key_node.tag != yamlscalars.MERGE_TAG:
                    pairs.append((key_node, value_node))
                    continue
                sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                for source in reversed(sources):  # in `<<: [*a, *b]` the first mapping wins
                    if not isinstance(source, yaml.MappingNode):
                        raise yaml.constructor.ConstructorError(
                            "while constructing a mapping", node.start_mark,
                            f"expected a mapping for merging, but found {source.id}", source.start_mark)
                    self.flatten_mapping(source)
                    pairs.extend(source.value)
            node.value = pairs

    for tag in (yamlscalars.NULL_TAG, yamlscalars.BOOL_TAG, yamlscalars.INT_TAG, yamlscalars.FLOAT_TAG):
        Loader.add_constructor(tag, Loader.construct_helm_scalar)
    Loader.add_constructor(yamlscalars.TIMESTAMP_TAG, yaml.SafeLoader.construct_yaml_str)
    Loader.add_constructor(yamlscalars.MERGE_TAG, yaml.SafeLoader.construct_yaml_str)  # `<<` as a value is a string
    return Loader


# Classes that dump as plain mappings / sequences (`register_mapping`), kept until the dumper is made.
_MAPPING_TYPES: list[type] = []
_SEQUENCE_TYPES: list[type] = []


def _build_dumper() -> type:
    import yaml

    class Dumper(yamlscalars.RetypeQuotingResolver, getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
        """Safe dumper for manifests and `to_yaml`: no anchors, quotes on every string some reader would retype."""

        def ignore_aliases(self, data: Any) -> bool:
            return True

    def represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
        if "\n" in data:
            return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|")
        return dumper.represent_str(data)

    Dumper.add_representer(str, represent_str)
    for cls in _MAPPING_TYPES:
        Dumper.add_representer(cls, yaml.SafeDumper.represent_dict)
    for cls in _SEQUENCE_TYPES:
        Dumper.add_representer(cls, yaml.SafeDumper.represent_list)
    return Dumper


def __getattr__(name: str) -> Any:
    """`Loader`, `Dumper` and `YAMLError`, made (PyYAML imported) on first use."""
    if name == "Loader":
        value = _build_loader()
    elif name == "Dumper":
        value = _build_dumper()
    elif name == "YAMLError":
        import yaml

        value = yaml.YAMLError
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def _made(name: str) -> Any:
    """`Loader`, `Dumper` or `YAMLError`: the one made before, or made now."""
    made = globals().get(name)
    return made if made is not None else __getattr__(name)


def register_mapping(cls: type) -> None:
    """Let a dict or Mapping subclass (e.g. the template `Values`) dump as a plain mapping."""
    _MAPPING_TYPES.append(cls)
    if "Dumper" in globals():
        dumper = _made("Dumper")
        dumper.add_representer(cls, dumper.represent_dict)


def register_sequence(cls: type) -> None:
    """Let a list subclass dump as a plain sequence."""
    _SEQUENCE_TYPES.append(cls)
    if "Dumper" in globals():
        dumper = _made("Dumper")
        dumper.add_representer(cls, dumper.represent_list)


def load(text: str | bytes) -> Any:
    """Parse one YAML document (plain block YAML by the fast reader, the rest by PyYAML)."""
    if isinstance(text, str):
        data = blockyaml.parse(text)
        if data is not blockyaml.UNSUPPORTED:
            return data
    import yaml

    return yaml.load(text, Loader=_made("Loader"))  # noqa: S506 - a safe loader


# Rendered documents and values files repeat between renders (plan then apply,
# the same chart for several stages): parse each distinct text once more and hand
# out fresh copies (marshal copies plain data in C, far faster than parsing).
# A text is packed from its second reading on: most processes (`template`) render
# once, and packing every document they read would only cost them time.
_PARSED: collections.OrderedDict[str, bytes] = collections.OrderedDict()
_PARSED_LIMIT = 64 * 1024 * 1024
_parsed_size = 0
_READ_ONCE: set[int] = set()  # hashes of the texts read once (a collision only packs a text early)


def load_fresh(text: str) -> Any:
    """`load`, memoised by text; every call returns a new object the caller may mutate."""
    global _parsed_size
    packed = _PARSED.get(text)
    if packed is not None:
        _PARSED.move_to_end(text)
        return marshal.loads(packed)
    data = load(text)
    text_hash = hash(text)
    if text_hash not in _READ_ONCE:
        if len(_READ_ONCE) > 100_000:
            _READ_ONCE.clear()
        _READ_ONCE.add(text_hash)
        return data
    try:
        packed = marshal.dumps(data)
    except ValueError:  # a type marshal cannot copy: do not cache
        return data
    _PARSED[text] = packed
    _parsed_size += len(packed) + len(text)
    while _parsed_size > _PARSED_LIMIT and _PARSED:
        old_text, old_packed = _PARSED.popitem(last=False)
        _parsed_size -= len(old_packed) + len(old_text)
    return data


def dump(data: Any) -> str:
    """Block-style YAML, keys in insertion order, ending with a newline."""
    try:
        return _emit(data, "")
    except _Unsupported:
        import yaml

        return yaml.dump(data, Dumper=_made("Dumper"), default_flow_style=False, sort_keys=False, allow_unicode=True, width=1 << 16)


# --- a fast emitter for the common case ---------------------------------------------
# PyYAML's representer runs in Python and dominates `to_yaml`-heavy templates.
# This writes the same block style for plain data and plain-safe strings, and
# leaves everything unusual (odd strings, floats, other types) to PyYAML.


class _Unsupported(Exception):
    pass


# A string YAML reads back as the same string when written bare (unless a reader retypes it): it starts with a
# letter, a digit or `_./`, holds only characters without meaning mid-text, a colon only before something
# other than a space (`: ` would start a mapping), and a space only before more text. One possessive pass:
# no backtracking, and no line break (`$` would have let a string ending with one through).
_PLAIN = re.compile(r"[A-Za-z0-9_./](?:[A-Za-z0-9_./@%+=,()-]++|:(?=[^ ])| (?=.))*+")
_plain_memo: dict[str, bool] = {}


def _plain_ok(text: str) -> bool:
    known = _plain_memo.get(text)
    if known is not None:
        return known
    if "\n" in text:
        return False  # never plain; and kept out of the memo: a multi-line string may be a large file
    ok = _PLAIN.fullmatch(text) is not None and not yamlscalars.retyped_by_some_reader(text)
    if len(_plain_memo) > 100_000:
        _plain_memo.clear()
    _plain_memo[text] = ok
    return ok


def flat_mapping(data: dict) -> str | None:
    """`dump` of a non-empty mapping of one-line plain strings (a chart's labels and selectors), without the final
    newline; None for any other mapping. `to_yaml` of such small dicts runs thousands of times a render."""
    if not data:
        return None
    memo = _plain_memo
    lines = []
    for key, value in data.items() if type(data) is dict else _pairs(data):
        if type(key) is not str or type(value) is not str:
            return None
        if not (memo.get(key) or _plain_ok(key)) or not (memo.get(value) or _plain_ok(value)):
            return None
        lines.append(f"{key}: {value}")
    return "\n".join(lines)


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    kind = type(value)
    if kind is int:
        return str(value)
    if kind is str:
        if not value:
            return "''"
        if _plain_ok(value):
            return value
        if value.isascii() and value.isprintable():
            return "'" + value.replace("'", "''") + "'"
    raise _Unsupported


def _literal(value: str, indent: str) -> str | None:
    """`|` / `|-` block for a multi-line string, or None when PyYAML should decide."""
    if not value.isascii() or "\r" in value or value.startswith((" ", "\n")) or value.endswith("\n\n"):
        return None
    body = value[:-1] if value.endswith("\n") else value
    lines = body.split("\n")
    if any(not (line.isprintable() or line == "") for line in lines) or any(line.endswith(" ") for line in lines):
        return None
    head = "|" if value.endswith("\n") else "|-"
    pad = indent + "  "
    return head + "\n" + "\n".join(pad + line if line else "" for line in lines) + "\n"


def _value(value: Any, indent: str) -> str:
    """The text after `key:` or `-` for a value that is not a non-empty block: ` scalar\n`, ` {}\n`, ` |...`."""
    if isinstance(value, dict):
        if value:
            raise _Unsupported  # _block writes those
        return " {}\n"
    if isinstance(value, list):
        if value:
            raise _Unsupported
        return " []\n"
    if type(value) is str and "\n" in value:
        literal = _literal(value, indent)
        if literal is None:
            raise _Unsupported
        return " " + literal
    return " " + _scalar(value) + "\n"


def _pairs(mapping: dict) -> Any:
    """The key-value pairs of a dict subclass to dump. A registered mapping (the templates' `Values`) is read as
    the dict it is: its own items() wraps every child for templates, work a dump does not need."""
    return dict.items(mapping) if type(mapping) in _MAPPING_TYPES else mapping.items()


def _block(out: list[str], data: dict | list, indent: str, lead: str) -> None:
    """Append the lines of a non-empty mapping or sequence at `indent`; its first line starts with `lead`
    instead (`  - ` when it is an item of an enclosing sequence). One list for the whole dump: no joins per level."""
    append = out.append
    if isinstance(data, dict):
        memo = _plain_memo
        inner = indent + "  "
        for key, value in data.items() if type(data) is dict else _pairs(data):
            if type(key) is not str:
                raise _Unsupported
            shown_key = key if memo.get(key) or _plain_ok(key) else _scalar(key)
            # The common leaves, a one-line plain string (labels, names) and an integer (replicas, ports),
            # without the general path; a string seen for the first time is looked at once, here.
            kind = type(value)
            if (kind is str and (memo.get(value) or _plain_ok(value))) or kind is int:
                append(f"{lead}{shown_key}: {value}\n")
            elif isinstance(value, dict) and value:
                append(f"{lead}{shown_key}:\n")
                _block(out, value, inner, inner)
            elif isinstance(value, list) and value:  # a sequence under a key is not indented further
                append(f"{lead}{shown_key}:\n")
                _block(out, value, indent, indent)
            else:
                append(lead + shown_key + ":" + _value(value, indent))
            lead = indent
    else:
        memo = _plain_memo
        inner = indent + "  "
        # A registered sequence (a `Values` list) is read as the list it is, as a registered mapping is (_pairs).
        for item in list.__iter__(data) if type(data) is not list and type(data) in _SEQUENCE_TYPES else data:
            if type(item) is str and (memo.get(item) or _plain_ok(item)):
                append(f"{lead}- {item}\n")
            elif isinstance(item, (dict, list)) and item:
                _block(out, item, inner, lead + "- ")  # the first line of the item shares the `- ` line
            else:
                append(lead + "-" + _value(item, indent))
            lead = indent


def _emit(data: Any, indent: str) -> str:
    if isinstance(data, (dict, list)):
        if not data:
            return indent + ("{}\n" if isinstance(data, dict) else "[]\n")
        out: list[str] = []
        _block(out, data, indent, indent)
        return "".join(out)
    if indent == "" and not (type(data) is str and "\n" in data):
        return _scalar(data) + "\n"
    raise _Unsupported


_DOCUMENT_START = re.compile(r"^---(?:[ \t]|$)", re.MULTILINE)


def split_documents(text: str) -> Iterator[tuple[int, str]]:
    """Yield (first line number, text) of each `---`-separated document.

    A `---` at column 0 always starts a document in YAML, even inside a block
    scalar, so splitting on it is exact; the marker line itself is blanked so
    line numbers inside each piece stay those of the whole file.
    """
    if "---" not in text:  # the common case, without a regex scan of the whole text
        yield 1, text
        return
    start = 0
    line = 1
    for match in _DOCUMENT_START.finditer(text):
        yield line, text[start:match.start()]
        line += text.count("\n", start, match.start())
        # Keep what follows the marker on its line (`--- # comment`, `--- key: v`).
        start = match.start() + 3
    yield line, text[start:]


def error_line(exc: Exception, text: str) -> int | None:
    """0-based line a YAML error is about: where the parser stopped, or where an unclosed construct began."""
    problem = getattr(exc, "problem_mark", None)
    context = getattr(exc, "context_mark", None)
    if problem is None:
        return context.line if context is not None else None
    # Stopped at the end of the text (an unclosed [ or quote): the start is what the user must fix.
    if context is not None and problem.index >= len(text.rstrip()):
        return context.line
    return problem.line


@functools.lru_cache(maxsize=64)  # a chart's values.yaml is read again by every render of a process
def surprises(text: str) -> tuple[tuple[int, tuple, str], ...]:
    """(1-based line, value path, message) of each plain scalar in one YAML document whose Helm type may surprise."""
    import yaml

    try:
        node = yaml.compose(text, Loader=_made("Loader"))
    except yaml.YAMLError:
        return ()
    return tuple(yamlscalars.surprises_in(node))


def line_of(text: str, path: tuple) -> int | None:
    """1-based line where the value at `path` starts in a YAML document (None if absent)."""
    import yaml

    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    line = None
    for key in path:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == key or (not key_node.style and yamlscalars.key_text(yamlscalars.value(key_node.value)) == key):
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

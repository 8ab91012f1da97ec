"""Plain YAML scalars typed as Helm types them: the one rule every YAML reader of deploykit uses.

Helm reads values files, Chart.yaml and rendered manifests with
sigs.k8s.io/yaml, which is go-yaml v2: YAML 1.1 booleans (`y`, `n`, `yes`,
`on`, `off` in three spellings each), Go's integer syntax after removing
every `_` (`0x1F`, `0o17`, `017` octal, `0b101`), YAML floats (`1e3`, `+.5`,
`1.`, `.inf`, `.nan`), and nothing else: `1:30` (a YAML 1.1 sexagesimal),
`2001-12-14` (a YAML 1.1 timestamp) and `=` stay strings. PyYAML's own
resolver differs on each of those. Mapping keys become strings as
sigs.k8s.io/yaml writes them (`y:` is the key "true", `1e3:` is "1000").

Owns: `value` (the typed value of a plain scalar), `key_text` (a key as Helm
spells it), `surprise` / `surprises_in` (why a plain scalar's type may not be
what its author meant, for lint), `retyped_by_some_reader` (whether a string
must be quoted on output because a YAML 1.1 or 1.2 reader, Helm among them,
would give it another type), `tagged` (a `!!int`-style explicit tag),
`yaml11_tag` (PyYAML's YAML 1.1 typing of a plain scalar, without PyYAML),
`HelmResolver` (the rule as a PyYAML resolver, for loaders),
`RetypeQuotingResolver` (the quoting rule, for dumpers) and
`merge_documents`, how Helm's LoadValues merges the documents of a file.

Must not: know about files, charts or values; import anything of deploykit;
import PyYAML before a caller asks for one of its resolvers (a `template`
whose YAML deploykit reads itself never loads PyYAML: ~17 ms of imports).
"""

from __future__ import annotations

import math
import re
import struct
from typing import Any

NULL_TAG = "tag:yaml.org,2002:null"
BOOL_TAG = "tag:yaml.org,2002:bool"
INT_TAG = "tag:yaml.org,2002:int"
FLOAT_TAG = "tag:yaml.org,2002:float"
STR_TAG = "tag:yaml.org,2002:str"
MERGE_TAG = "tag:yaml.org,2002:merge"
TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
VALUE_TAG = "tag:yaml.org,2002:value"

_INT64 = (-(1 << 63), (1 << 63) - 1)
_UINT64_MAX = (1 << 64) - 1

_WORDS: dict[str, Any] = {
    **dict.fromkeys(("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), True),
    **dict.fromkeys(("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), False),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), None),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf),
}
# go-yaml looks a scalar up by its first character: only these can be anything but a string.
_NUMBER_START = frozenset("+-0123456789")
_WORD_START = frozenset("yYnNtTfFoO~")
# Go's strconv.ParseInt(s, 0, 64) syntax (after go-yaml removed every `_`).
_GO_INT = re.compile(r"([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)\Z")
_YAML_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
# strconv.ParseFloat of a scalar starting with `.`: underscores only between digits.
_DOT_FLOAT = re.compile(r"\.[0-9]+(_[0-9]+)*([eE][-+]?[0-9]+(_[0-9]+)*)?\Z")
_BASES = {"x": 16, "X": 16, "o": 8, "O": 8, "b": 2, "B": 2}
_UNSET: Any = object()


def _go_int(plain: str) -> int | None:
    """strconv.ParseInt(plain, 0, 64), falling back to ParseUint as go-yaml does; None when neither takes it."""
    match = _GO_INT.match(plain)
    if match is None:
        return None
    sign, digits = match.groups()
    if len(digits) > 1 and digits[0] == "0":
        base = _BASES.get(digits[1], 8)
        number = int(digits[2:] if base != 8 or digits[1] in "oO" else digits[1:], base)
    else:
        number = int(digits)
    if sign == "-":
        number = -number
    if _INT64[0] <= number <= _INT64[1] or (not sign and number <= _UINT64_MAX):
        return number
    return None


def _go_float(text: str) -> float | None:
    """strconv.ParseFloat for text already known to be decimal; None on overflow (Go's ErrRange)."""
    number = float(text)
    return None if math.isinf(number) else number


def _resolve(text: str) -> Any:
    first = text[:1]
    if first and first not in _NUMBER_START and first not in _WORD_START and first != ".":
        return _UNSET
    word = _WORDS.get(text, _UNSET)
    if word is not _UNSET:
        return word
    if first == ".":
        return _go_float(text.replace("_", "")) if _DOT_FLOAT.match(text) else _UNSET
    if first not in _NUMBER_START:
        return _UNSET
    plain = text.replace("_", "")
    number: Any = _go_int(plain)
    if number is None and _YAML_FLOAT.match(plain):
        number = _go_float(plain)
    if number is None and plain.startswith("0b"):  # go-yaml's own binary fallback, sign after the prefix and all
        binary = re.fullmatch(r"([+-]?)([01]+)", plain[2:])
        if binary is not None:
            number = int(binary.group(2), 2) * (-1 if binary.group(1) == "-" else 1)
            if not (_INT64[0] <= number <= (_INT64[1] if binary.group(1) else _UINT64_MAX)):
                number = None
    return _UNSET if number is None else number


_MEMO: dict[str, Any] = {}


def value(text: str) -> Any:
    """The value of a plain (unquoted, untagged) scalar as Helm reads it: None, bool, int, float or the text itself."""
    try:
        return _MEMO[text]
    except KeyError:
        pass
    resolved = _resolve(text)
    result = text if resolved is _UNSET else resolved
    if len(_MEMO) > 50_000:
        _MEMO.clear()
    _MEMO[text] = result
    return result


def tag(text: str) -> str:
    """The YAML tag Helm gives a plain scalar."""
    typed = value(text)
    if typed is None:
        return NULL_TAG
    if typed is True or typed is False:
        return BOOL_TAG
    if type(typed) is int:
        return INT_TAG
    if type(typed) is float:
        return FLOAT_TAG
    return STR_TAG


def key_text(key: Any) -> str | None:
    """A mapping key, or a scalar read into a string field, as sigs.k8s.io/yaml spells it (None for null)."""
    if type(key) is str:
        return key
    if key is None:
        return None
    if key is True or key is False:
        return "true" if key else "false"
    if type(key) is int:
        return str(key)
    if type(key) is float:
        return _go_float32_text(key)
    return str(key)


def _go_float32_text(number: float) -> str:
    """Go's strconv.FormatFloat(number, 'g', -1, 32), spelt as go-yaml spells the infinities."""
    if math.isnan(number):
        return ".nan"
    if math.isinf(number):
        return ".inf" if number > 0 else "-.inf"
    if number == 0:
        return "-0" if math.copysign(1, number) < 0 else "0"
    single = struct.unpack("f", struct.pack("f", number))[0]
    for precision in range(1, 10):  # the shortest decimal that reads back as the same float32
        text = f"{single:.{precision - 1}e}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == single:
            break
    mantissa, exponent_text = text.split("e")
    exponent = int(exponent_text)
    digits = mantissa.lstrip("-").replace(".", "").rstrip("0") or "0"
    sign = "-" if number < 0 else ""
    if exponent < -4 or exponent >= 6:
        head = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{head}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"
    import decimal  # only float keys get here: not worth its import for every process

    return sign + format(decimal.Decimal(f"{digits[0]}.{digits[1:] or '0'}e{exponent}").normalize(), "f")


_CANONICAL_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?\Z")
_CANONICAL_WORDS = frozenset(("true", "True", "TRUE", "false", "False", "FALSE", "", "~", "null", "Null", "NULL"))


def surprise(text: str) -> str | None:
    """Why Helm's type for this plain scalar may not be what its author meant (`y` is true, `017` is 15), or None."""
    typed = value(text)
    if type(typed) is str or text in _CANONICAL_WORDS:
        return None
    if typed is True or typed is False:
        return f"`{text}` is read as the boolean {'true' if typed else 'false'}"
    if type(typed) is float and not math.isfinite(typed):
        return None  # refused where it is read
    if _CANONICAL_NUMBER.match(text):
        return None
    shown = int(typed) if type(typed) is float and typed.is_integer() and abs(typed) < 1e16 else typed
    return f"`{text}` is read as the number {shown}"


def node_surprise(node: Any) -> str | None:
    """`surprise` for a composed node: only plain scalars typed by the rule (not quoted ones) can surprise."""
    import yaml  # a node was composed by PyYAML: it is loaded

    if not isinstance(node, yaml.ScalarNode) or node.style or node.tag == STR_TAG:
        return None
    return surprise(node.value)


def surprises_in(node: Any, path: tuple = ()) -> list[tuple[int, tuple, str]]:
    """(1-based line, value path, message) of every surprising plain scalar under a composed node, keys included."""
    import yaml  # a node was composed by PyYAML: it is loaded

    found: list[tuple[int, tuple, str]] = []
    if isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            found += surprises_in(item, (*path, index))
    elif isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_text(value(key_node.value)) if isinstance(key_node, yaml.ScalarNode) and not key_node.style else key_node.value
            message = node_surprise(key_node)
            if message is not None:
                found.append((key_node.start_mark.line + 1, (*path, key), f"the key {message}"))
            found += surprises_in(value_node, (*path, key))
    else:
        message = node_surprise(node) if node is not None else None
        if message is not None:
            found.append((node.start_mark.line + 1, path, message))  # type: ignore[union-attr]
    return found


def merge_documents(base: dict, overlay: dict) -> dict:
    """Helm's LoadValues over a file's documents: mappings merge, anything else (null included) replaces."""
    if not base:
        return overlay
    result = dict(base)
    for key, item in overlay.items():
        previous = result.get(key)
        result[key] = merge_documents(previous, item) if isinstance(previous, dict) and isinstance(item, dict) else item
    return result


# --- output: strings that some reader would retype ---------------------------------------------

# YAML 1.2 core schema (go-yaml v3, most YAML 1.2 libraries): what it types that Helm's rule may not.
_YAML12_CORE = re.compile(
    r"(~|null|Null|NULL|true|True|TRUE|false|False|FALSE"
    r"|[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+"
    r"|[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?"
    r"|[-+]?\.(inf|Inf|INF)|\.nan|\.NaN|\.NAN)\Z"
)
# Every reader above types only plain scalars starting with one of these (PyYAML keys its resolvers the same way).
_RETYPABLE_START = frozenset("yYnNtTfFoO~=<+-.0123456789")


def retyped_by_some_reader(text: str) -> bool:
    """Whether a YAML 1.1 reader (PyYAML, with timestamps), YAML 1.2 core or Helm would read this plain text as a non-string."""
    if text and text[0] not in _RETYPABLE_START:
        return False
    return (
        type(value(text)) is not str
        or text == "<<"
        or bool(_YAML12_CORE.match(text))
        or yaml11_tag(text) != STR_TAG
    )


# PyYAML's Resolver, its implicit resolvers written out: the words, then the numbers and timestamps in its order.
_YAML11_WORDS = {
    **dict.fromkeys(("yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE",
                     "on", "On", "ON", "off", "Off", "OFF"), BOOL_TAG),
    **dict.fromkeys(("~", "null", "Null", "NULL"), NULL_TAG),
    "<<": MERGE_TAG,
    "=": VALUE_TAG,
}
_YAML11_NUMBER_START = frozenset("+-.0123456789")
_YAML11_NUMBER_PATTERN = (
    r"(?P<float>[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?"
    r"|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
    r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*"
    r"|[-+]?\.(?:inf|Inf|INF)"
    r"|\.(?:nan|NaN|NAN))"
    r"|(?P<int>[-+]?0b[0-1_]+"
    r"|[-+]?0[0-7_]+"
    r"|[-+]?(?:0|[1-9][0-9_]*)"
    r"|[-+]?0x[0-9a-fA-F_]+"
    r"|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)"
    r"|(?P<timestamp>[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]"
    r"|[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?"
    r"(?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)"
)
_YAML11_NUMBER_TAGS = {"float": FLOAT_TAG, "int": INT_TAG, "timestamp": TIMESTAMP_TAG}
# Every character those patterns can match: `10m`, `16Mi` or `80%` are strings without compiling them.
_YAML11_NUMBER_CHARS = frozenset("0123456789_.:+- \tabcdefABCDEFinINxtTZ")
_yaml11_number: re.Pattern[str] | None = None  # compiled on first need: most processes never dump such a string


def yaml11_tag(text: str) -> str:
    """The tag PyYAML's YAML 1.1 resolver gives a plain scalar (`yes` bool, `1:20` int, `2001-12-14` timestamp, `=` value)."""
    global _yaml11_number
    if not text:
        return NULL_TAG
    # PyYAML's patterns end in `$`, which also matches before one final line break.
    core = text[:-1] if text[-1] == "\n" else text
    word = _YAML11_WORDS.get(core)
    if word is not None:
        return word
    if text[0] not in _YAML11_NUMBER_START or not _YAML11_NUMBER_CHARS.issuperset(core) or core.count(".") > 1:
        return STR_TAG  # (each pattern allows one `.` at most: `1.0.0` is a string)
    if _yaml11_number is None:
        _yaml11_number = re.compile(f"(?:{_YAML11_NUMBER_PATTERN})\\Z")
    match = _yaml11_number.match(core)
    return _YAML11_NUMBER_TAGS[match.lastgroup] if match is not None else STR_TAG  # type: ignore[index]


def _build_resolvers() -> dict[str, type]:
    """`HelmResolver` and `RetypeQuotingResolver`, made (and PyYAML imported) when a loader or dumper first needs them."""
    import yaml

    class HelmResolver(yaml.resolver.Resolver):
        """PyYAML's resolver with Helm's rule for plain scalars (works under libyaml's C loader too)."""

        def resolve(self, kind: Any, text: Any, implicit: Any) -> str:
            if kind is yaml.ScalarNode and implicit[0]:
                return MERGE_TAG if text == "<<" else tag(text)
            return super().resolve(kind, text, implicit)

    class RetypeQuotingResolver(yaml.resolver.Resolver):
        """For dumpers: a string that some reader would retype does not resolve as a string, so the emitter quotes it."""

        def resolve(self, kind: Any, text: Any, implicit: Any) -> str:
            resolved = super().resolve(kind, text, implicit)
            if resolved == STR_TAG and kind is yaml.ScalarNode and implicit[0] and retyped_by_some_reader(text):
                return NULL_TAG  # any tag but str: only the comparison with the node's tag matters
            return resolved

    return {"HelmResolver": HelmResolver, "RetypeQuotingResolver": RetypeQuotingResolver}


def __getattr__(name: str) -> Any:
    if name in ("HelmResolver", "RetypeQuotingResolver"):
        globals().update(_build_resolvers())
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def tagged(tag_name: str, text: str) -> Any:
    """A scalar with an explicit `!!bool`, `!!int`, `!!float` or `!!null` tag, as go-yaml reads it; ValueError if it cannot be."""
    typed = value(text)
    if tag_name == NULL_TAG and typed is None:
        return None
    if tag_name == BOOL_TAG and (typed is True or typed is False):
        return typed
    if tag_name == INT_TAG and type(typed) is int:
        return typed
    if tag_name == FLOAT_TAG and type(typed) in (int, float):
        return float(typed)
    raise ValueError(f"{text!r} is not a {tag_name.rsplit(':', 1)[-1]}")

"""How messages name things: the closest known name to a mistyped one, and a parsed value's type.

Owns `did_you_mean` (for a hint naming the key, function or template the
user meant) and the two vocabularies a value's type is named in:
`type_name`, a YAML author's words (`a mapping`, `a list`, `an integer`:
pipeline files), and `json_type`, JSON Schema's (`object`, `array`,
`number`: schema checks compare it with a schema's `type`). One table
feeds both, so they agree on what a value is.

Must not: import anything of deploykit; it sits below every layer.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# (Python type, a YAML author's word, JSON Schema's word); bool first: a bool is an int in Python.
_TYPES = ((bool, "a boolean", "boolean"), (int, "an integer", "number"), (float, "a number", "number"),
          (str, "a string", "string"), (list, "a list", "array"), (dict, "a mapping", "object"))
_YAML_WORDS = {kind: words for kind, words, _ in _TYPES}
_JSON_WORDS = {kind: word for kind, _, word in _TYPES}


def did_you_mean(word: Any, choices: Iterable[Any]) -> str | None:
    """The closest of `choices` to a mistyped `word`, if one is close enough; a match but for case first."""
    if not isinstance(word, str):
        return None
    texts = sorted({choice for choice in choices if isinstance(choice, str)})
    if word in texts:
        return word
    folded = {choice.lower(): choice for choice in texts}
    if word.lower() in folded:
        return folded[word.lower()]
    import difflib  # only for a mistyped name: every command imports this module

    found = difflib.get_close_matches(word, texts, n=1, cutoff=0.6)
    return found[0] if found else None


def type_name(value: Any) -> str:
    """How a YAML author calls the type of a parsed value: `a mapping`, `a list`, `null`."""
    words = _YAML_WORDS.get(type(value))
    if words is None:
        words = "null" if value is None else next((w for kind, w, _ in _TYPES if isinstance(value, kind)),
                                                  type(value).__name__)
    return words


def json_type(value: Any) -> str:
    """JSON Schema's name of a parsed value's type (`object`, `array`, `number`); `null` for None and the rest."""
    word = _JSON_WORDS.get(type(value))  # the exact class first: schema walks ask this for every value
    if word is None:
        word = next((w for kind, _, w in _TYPES if isinstance(value, kind)), "null")
    return word

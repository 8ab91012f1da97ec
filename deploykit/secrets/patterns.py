"""The regular expression that finds registered secret texts however they were printed.

Owns `compile_texts`: one pattern for every secret text the redactor holds.
Each character of a text matches itself or any encoding a writer gives it,
at any depth of stacking, so no list of escaped forms has to be kept:

- backslash escapes, as JSON, YAML double quotes and Python's repr() write
  them (`\\"`, `\\t`, `\\x01`, `\\u00e9`, `\\U0001F511`, the UTF-16 pair
  `\\ud83d\\udd11`), each preceded by any number of backslashes: a value
  escaped once, twice (`to_json | quote`) or more;
- percent-encoding of each UTF-8 byte (`%22`, re-encoded `%2522`), `+` for a
  space;
- HTML entities for `< > & " '` (`&#34;`, `&quot;`, re-escaped `&amp;quot;`);
- YAML single-quote doubling (`''`, `''''`);
- a space folded onto the next line by a YAML writer;
- letters in any case (`upper`, `lower`, `title`, `swapcase`): texts and
  the searched text are folded to lower case, one character for one, so
  positions still line up (about 4x faster than `re.IGNORECASE`).

Texts are matched as a trie, the longest at each position; "word" texts
(short secrets such as `admin`) match only as whole words.

Must not: import anything but the standard library (the redactor loads
before the CLI's command modules).
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Callable, Collection

# Characters no writer escapes: they match only themselves (in any case).
_PLAIN = frozenset(string.ascii_letters + string.digits + "-_.~")
# Characters that JSON, YAML or repr() write after a backslash (YAML: `\ `), which the next layer doubles.
_BACKSLASHED = frozenset("\"'\\/ ")
# Printable ASCII characters that a writer escapes in hex: Jinja's tojson (`\u003c`).
_HEX_ESCAPED = frozenset("'<>&")
# Mnemonic escapes of YAML (a superset of JSON's and repr()'s).
# In lower case: `\N`, YAML's escape of U+0085, reads `\n` in the folded text.
_MNEMONIC = {
    "\0": "0", "\a": "a", "\b": "b", "\t": "t", "\n": "n", "\v": "v", "\f": "f", "\r": "r",
    "\x1b": "e", "\x85": "n", "\xa0": "_", "\u2028": "l", "\u2029": "p",
}
_HTML_NAMES = {"<": "lt", ">": "gt", "&": "amp", '"': "quot", "'": "apos"}
# One backslash or more, some of them percent-encoded when a URL encoder came after the escaping writer.
_BACKSLASH = r"(?:\\|%(?:25)*5c)"
_BACKSLASHES = _BACKSLASH + _BACKSLASH + "*"  # not `(...)+`: the engine checks a plain group's first characters faster
# Where a word may start: after a character that is not a letter, digit or `_`, or after an escape
# ending in one (`%22admin`, `\tadmin`, `\u00e9admin`), as the folded text writes them, its `%`
# or backslash percent-encoded up to three more times (a lookbehind has a fixed width).
_PERCENTS = ("%", "%25", "%2525", "%252525")
_WORD_START = "(?:" + "|".join([
    r"(?<!\w)",
    *(f"(?<={percent}[0-9a-f]{{2}})" for percent in _PERCENTS),
    *(
        f"(?<={re.escape(backslash)}{code})"
        for backslash in ("\\", *(percent + "5c" for percent in _PERCENTS))
        for code in (r"[0abtnvfre_lp]", r"x[0-9a-f]{2}", r"u[0-9a-f]{4}", r"u[0-9a-f]{8}")
    ),
]) + ")"


@functools.lru_cache(maxsize=8192)
def char_pattern(char: str) -> str:
    """A regular expression for `char` as itself or any encoding of it, stacked to any depth.

    Encoded forms come first: where a shorter text ends after the literal
    character, the longer encoding must still win.
    """
    if char in _PLAIN:
        return re.escape(char)
    direct = _direct_forms(char)
    escaped = [*direct] if char in _BACKSLASHED else []  # `\"`, and `%5C%22` when a URL encoder came next
    cases = _cases(char)
    if any(ord(case) < 0x20 or ord(case) >= 0x7F for case in cases) or char in _HEX_ESCAPED:
        escaped += [code for case in cases for code in _escape_codes(case)]
    if char == "\\":  # a run of backslashes is one backslash, escaped n times
        return f"(?:{_BACKSLASHES})"
    options = [_BACKSLASHES + "(?:" + "|".join(escaped) + ")"] if escaped else []
    if char == " ":  # URL query; folded onto the next line by a YAML writer, plain or double-quoted
        options += [r"\+", r"\r?\n[ \t]*", r"\\\r?\n[ \t]*\\ "]
    if char == "'":  # YAML single quotes double a quote at each level, in any of its encodings
        return "(?:" + "|".join([*options, *direct]) + ")+"
    return "(?:" + "|".join([*options, *direct]) + ")"


def _direct_forms(char: str) -> list[str]:
    """`char` percent-encoded (any number of times), as an HTML entity, and as itself, without backslashes."""
    forms = ["".join(f"%(?:25)*{byte:02x}" for byte in case.encode("utf-8", "surrogatepass")) for case in _cases(char)]
    if char in _HTML_NAMES:
        forms.append(f"&(?:amp;)*(?:{_HTML_NAMES[char]}|#0*{ord(char)}|#x0*{ord(char):x});")
    return [*forms, re.escape(char)]


def _cases(char: str) -> list[str]:
    """`char` and the characters folded to it (see `_Fold`): the text is folded, its escapes are not
    (`\\xC0` is an escape of À, folded to à)."""
    return [char, *{other for other in (char.upper(), char.title()) if len(other) == 1 and other != char}]


def _lead_chars(char: str) -> set[str]:
    """Characters `char_pattern(char)` can start with (a few more do no harm)."""
    leads = {char, "\\", "%", "&"}
    return leads | {"+", "\r", "\n"} if char == " " else leads


def _escape_codes(char: str) -> list[str]:
    """What follows the backslash(es) of a backslash escape of `char`, in every writer's notation."""
    code = ord(char)
    codes = [re.escape(_MNEMONIC[char])] if char in _MNEMONIC else []
    if code < 0x100:  # YAML and repr() write `\xe9`, JSON `\u00e9`
        codes.append(f"(?:x|u00){code:02x}")
    elif code < 0x10000:
        codes.append(f"u{code:04x}")
    else:  # `\U0001F511` (YAML, repr) or the UTF-16 pair `\ud83d\udd11` (JSON)
        high, low = 0xD800 + ((code - 0x10000) >> 10), 0xDC00 + ((code - 0x10000) & 0x3FF)
        codes += [f"u{code:08x}", f"u{high:04x}{_BACKSLASHES}u{low:04x}"]
    return codes


def text_pattern(text: str) -> str:
    """The pattern of one text: its characters' patterns in a row."""
    return "".join(char_pattern(char) for char in text)


class _Fold(dict):
    """str.translate table: each character to its lower case, where the lower case is one
    character whose upper or title case is this one (not the Kelvin sign to `k`): so the
    characters folded to one are its upper and title cases, whose escapes `char_pattern` knows."""

    def __missing__(self, code: int) -> int | str:
        char = chr(code)
        lower = char.lower()
        folded = self[code] = lower if len(lower) == 1 and char in (lower.upper(), lower.title()) else code
        return folded


_FOLD = _Fold()


def fold(text: str) -> str:
    """`text` in lower case, one character for one (positions line up with `text`); see `_Fold`."""
    return text.lower() if text.isascii() else text.translate(_FOLD)


class SecretPattern:
    """The compiled pattern of a set of texts and words, searched in the folded text."""

    def __init__(self, regex: re.Pattern[str]) -> None:
        self._regex = regex

    def __repr__(self) -> str:
        return "<SecretPattern>"

    def sub(self, replacement: str, text: str) -> str:
        """`text` with every match replaced by `replacement`."""
        pieces, last = [], 0
        for match in self._regex.finditer(fold(text)):
            pieces += (text[last : match.start()], replacement)
            last = match.end()
        if not pieces:
            return text
        pieces.append(text[last:])
        return "".join(pieces)

    def search(self, text: str) -> bool:
        return self._regex.search(fold(text)) is not None


def compile_texts(texts: Collection[str], words: Collection[str] = ()) -> SecretPattern | None:
    """One pattern matching every text anywhere, and every word as a whole word, in any case; None for none.

    A word (letters and digits only) cannot continue a text that contains
    other characters, so trying the texts first keeps the longest match.
    Texts are laid out as a trie (`ab(?:c|d)` rather than `abc|abd`): the
    regex engine then follows one branch per character instead of trying
    every text at every position, ~20x faster with hundreds of secrets. A
    plain alternation, longest first, is the fallback when the trie nests
    too deep.
    """
    if not texts and not words:
        return None
    texts, words = {fold(text) for text in texts}, {fold(word) for word in words}
    try:
        return SecretPattern(re.compile(_pattern(texts, words, _trie_pattern)))
    except (RecursionError, re.error):
        return SecretPattern(re.compile(_pattern(texts, words, _alternation)))


def _pattern(texts: Collection[str], words: Collection[str], layout: Callable[[Collection[str]], str]) -> str:
    parts = [layout(texts)] if texts else []
    if words:
        # Checking a word's first character before the boundary saves time at every other position.
        firsts = "".join(sorted({re.escape(word[0]) for word in words}))
        parts.append(f"(?=[{firsts}])" + _WORD_START + "(?:" + layout(words) + r")(?!\w)")
    return "|".join(parts)


def _alternation(texts: Collection[str]) -> str:
    return "|".join(text_pattern(text) for text in sorted(texts, key=len, reverse=True))


def _trie_pattern(texts: Collection[str]) -> str:
    trie: dict[str, dict] = {}
    for text in texts:
        node = trie
        for char in text:
            node = node.setdefault(char, {})
        node[""] = {}  # a text ends here
    return _node_pattern(trie)


def _node_pattern(node: dict[str, dict]) -> str:
    parts = []
    while "" not in node and len(node) == 1:  # a chain without choices is a sequence
        (char, node), = node.items()
        parts.append(char_pattern(char))
    branches = [char_pattern(char) + _node_pattern(child) for char, child in sorted(node.items()) if char in _PLAIN]
    special = [char for char in sorted(node) if char and char not in _PLAIN]
    if special:
        # One check of the characters they can start with skips all of them where none can match.
        leads = "".join(sorted({re.escape(lead) for char in special for lead in _lead_chars(char)}))
        options = [char_pattern(char) + _node_pattern(node[char]) for char in special]
        branches.append(f"(?=[{leads}])" + (options[0] if len(options) == 1 else "(?:" + "|".join(options) + ")"))
    if branches:
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        # Greedy `?`: where a text ends and a longer one goes on, the longer one wins.
        parts.append(f"(?:{body})?" if "" in node else body)
    return "".join(parts)

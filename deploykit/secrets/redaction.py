"""The run's redactor: every decrypted value, masked in every line deploykit prints or writes.

Owns `Redactor` (which secret values are known, in which printed forms, and how
to mask them; the pattern that recognises every escaped form and letter case is
built by `patterns`), the process-wide current redactor (one run = one process),
the rules for values too short to mask safely and for short words masked only
whole, and `MaskingStream`, the text stream the CLI puts in front of stdout and
stderr.

Must not: import anything heavier than the standard library (the CLI installs
the streams before any command module loads), decrypt anything, or keep a
registered value anywhere but in memory. No `repr()` here shows a value.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import sys
import threading
import urllib.parse
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from deploykit.secrets import patterns

MASK = "<redacted>"

# A secret shorter than this would mask unrelated text ("1", "true", "dev"):
# such values are not masked, and `deploykit lint` warns about each of them.
MIN_LENGTH = 4
# Words YAML and JSON read as non-strings: masking them would mangle every document.
_KEYWORDS = frozenset(
    {"true", "false", "yes", "no", "on", "off", "null", "none", "nil", "~", "y", "n"}
)
# Base64 fragments shorter than this match unrelated base64 too often.
_MIN_FRAGMENT = 8
# A secret of at most this many letters and digits (`admin`) is masked only as a whole word:
# inside other words it would mangle unrelated text (`administrator`, `sysadmin`).
WORD_LENGTH = 8
_CASE_CHANGES = (str.upper, str.lower, str.title, str.capitalize, str.swapcase)


def text_form(value: Any) -> str | None:
    """How a scalar leaf prints: booleans and null as YAML writes them, None for containers."""
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def is_too_short(value: Any) -> bool:
    """True when a secret value cannot be masked without mangling unrelated output.

    The rule: its text form has fewer than MIN_LENGTH characters, or it is a
    YAML/JSON keyword (true, false, yes, no, on, off, null). Empty strings
    are not too short: there is nothing to leak.
    """
    text = text_form(value)
    if text is None or text == "":
        return False
    return len(text.strip()) < MIN_LENGTH or text.strip().lower() in _KEYWORDS


def is_word(text: str) -> bool:
    """True for a secret masked only as a whole word: WORD_LENGTH letters and digits at most (`admin`, `hunter22`)."""
    return len(text) <= WORD_LENGTH and text.isascii() and text.isalnum()


def printed_forms(value: str) -> set[str]:
    """Literal forms in which `value` may appear in output deploykit produces.

    For callers that can only replace literal strings (chart problem
    messages): the value itself, each line of a multi-line value, its
    base64 forms (see `_base64_forms`), and the escaped forms of the value
    and of each line (see `escaped_forms`). The redactor itself matches
    every escaped form and letter case at once (see `patterns`).
    """
    lines = _lines(value)
    forms = {value, *lines}
    for text in (value, *lines):
        forms |= escaped_forms(text)
    forms |= _base64_forms(value)
    return {form for form in forms if len(form) >= MIN_LENGTH}


def _lines(value: str) -> set[str]:
    """Each line of a multi-line value long enough to mask (a YAML block scalar prints it line by line)."""
    return {line.strip() for line in value.splitlines() if len(line.strip()) >= MIN_LENGTH and not is_too_short(line)}


def _base64_forms(value: str) -> set[str]:
    """The base64 of `value` (Secret objects carry base64), and the part of the encoding that
    survives being concatenated with other text at any byte alignment."""
    raw = value.encode("utf-8", "surrogatepass")
    forms = {base64.b64encode(raw).decode("ascii")}
    for shift, start in ((0, 0), (1, 2), (2, 3)):
        encoded = base64.b64encode(b"\0" * shift + raw).decode("ascii")
        core = encoded[start : 4 * ((shift + len(raw)) // 3)]
        if len(core) >= _MIN_FRAGMENT:
            forms.add(core)
    return forms


def masked_texts(value: str) -> tuple[set[str], set[str]]:
    """(texts masked wherever they occur, words masked only as whole words) for a secret value.

    The value, each of its lines, their case changes that folding to lower
    case does not undo (`ß`.upper() is `SS`), and the base64 forms; a short
    alphanumeric value or line is a word. Escaped forms and other case
    changes need no entry: the redactor's pattern matches them.
    """
    shown = {value, *_lines(value)}
    changed = {change(text) for text in shown for change in _CASE_CHANGES}
    shown |= {text for text in changed if patterns.fold(text) not in {patterns.fold(other) for other in shown}}
    words = {text for text in shown if is_word(text)}
    texts = {text for text in (shown - words) | _base64_forms(value) if len(text) >= MIN_LENGTH}
    return texts, words


def escaped_forms(text: str) -> set[str]:
    """`text` as escaped once by the writers a chart or an error message can put it through.

    JSON (deploykit's `to_json` and `quote`), YAML single quotes, URL
    encoding (Jinja's `urlencode` leaves `/` alone in a path and writes `+`
    for a space in a query), Jinja's `tojson` (which also escapes ' & < >),
    HTML entities (Jinja's `e`), and Python's repr() (error messages quote
    values with it; it escapes backslashes and, with both quote kinds, `'`).
    """
    json_ascii = json.dumps(text)[1:-1]
    return {
        json_ascii,
        json.dumps(text, ensure_ascii=False)[1:-1],
        text.replace("'", "''"),
        urllib.parse.quote(text, safe=""),
        urllib.parse.quote(text, safe="/"),
        urllib.parse.quote_plus(text, safe=""),
        json_ascii.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").replace("'", "\\u0027"),
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;").replace('"', "&#34;"),
        repr(text)[1:-1],
    }


class Redactor:
    """Known secret texts and the compiled patterns that mask them in every printed form, longest match first."""

    def __init__(self) -> None:
        self._texts: set[str] = set()
        self._words: set[str] = set()
        self._patterns: dict[bool, patterns.SecretPattern | None] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<Redactor with {len(self._texts) + len(self._words)} masked forms>"

    def register(self, value: Any) -> bool:
        """Remember a secret value; False when it is too short to mask (lint reports those)."""
        text = text_form(value)
        if text is None or text == "" or is_too_short(value):
            return False
        texts, words = masked_texts(text)
        with self._lock:
            if not (texts <= self._texts and words <= self._words):
                self._texts |= texts
                self._words |= words
                self._patterns = {}
        return True

    def register_all(self, values: Iterable[Any]) -> None:
        """Remember several secret values at once."""
        for value in values:
            self.register(value)

    def mask(self, text: str, *, words: bool = True) -> str:
        """`text` with every known secret replaced by MASK.

        `words=False` leaves short word secrets (see `is_word`) alone and
        masks every other: for identifiers that are not values, such as a
        Secret's own keys and name, which may be the same word as a value.
        """
        pattern = self._compiled(words)
        if pattern is None or not text:
            return text
        return pattern.sub(MASK, text)

    def contains_secret(self, text: str) -> bool:
        """True when `text` holds any known secret form."""
        pattern = self._compiled(True)
        return bool(pattern and text and pattern.search(text))

    def _compiled(self, words: bool) -> patterns.SecretPattern | None:
        compiled = self._patterns
        if words in compiled:
            return compiled[words]
        with self._lock:
            if words not in self._patterns:
                self._patterns[words] = patterns.compile_texts(self._texts, self._words if words else ())
            return self._patterns[words]


_current = Redactor()


def current() -> Redactor:
    """The redactor of this run (one process is one run)."""
    return _current


def register(value: Any) -> bool:
    """Register a secret value with the run's redactor."""
    return _current.register(value)


def mask(text: str, *, words: bool = True) -> str:
    """Mask every known secret in `text` with the run's redactor (see `Redactor.mask` for `words`)."""
    return _current.mask(text, words=words)


class MaskingStream(io.TextIOBase):
    """A text stream that masks known secrets before they reach the wrapped stream.

    Writes are held until a line is complete, so a secret written in two
    pieces is still masked; `flush()` passes on a partial line (prompts).
    It has no `buffer` attribute on purpose: click then writes through it
    instead of going around it to the binary stream.
    """

    def __init__(self, wrapped: TextIO, *, redactor: Redactor | None = None) -> None:
        super().__init__()
        self.wrapped = wrapped
        self.masking = True
        self._redactor = redactor
        self._pending = ""
        self._lock = threading.RLock()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.wrapped, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return getattr(self.wrapped, "errors", None)

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return bool(getattr(self.wrapped, "isatty", lambda: False)())

    def fileno(self) -> int:
        return self.wrapped.fileno()

    def write(self, text: str) -> int:  # type: ignore[override]
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        with self._lock:
            if not self.masking:
                self.wrapped.write(text)
                return len(text)
            data = self._pending + text
            cut = max(data.rfind("\n"), data.rfind("\r")) + 1  # \r: progress lines redraw in place
            self._pending = data[cut:]
            if cut:
                self.wrapped.write(self._mask(data[:cut]))
        return len(text)

    def flush(self) -> None:
        with self._lock:
            if self._pending:
                self.wrapped.write(self._mask(self._pending))
                self._pending = ""
            self.wrapped.flush()

    def _mask(self, text: str) -> str:
        return (self._redactor or _current).mask(text)


class RedactingFilter:
    """A logging filter that masks known secrets in a record: its message, exception text and stack.

    A plain class (logging takes any object with a `filter` method), so a process that logs nothing never
    imports logging.
    """

    def filter(self, record: Any) -> bool:
        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            # A formatter would print the exception's text as it is: format it here, masked (formatters reuse exc_text).
            import logging

            record.exc_text = mask(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = mask(record.exc_text)
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        return True


def install_streams() -> tuple[MaskingStream, MaskingStream]:
    """Put masking streams in front of sys.stdout and sys.stderr and a filter on root log handlers."""
    if not isinstance(sys.stdout, MaskingStream):
        sys.stdout = MaskingStream(sys.stdout)
    if not isinstance(sys.stderr, MaskingStream):
        sys.stderr = MaskingStream(sys.stderr)
    logging = sys.modules.get("logging")  # not imported yet: no handler exists to filter
    for handler in logging.getLogger().handlers if logging else ():
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
    return sys.stdout, sys.stderr  # type: ignore[return-value]


def flush_streams() -> None:
    """Flush partial lines held by the masking streams (at exit)."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()


def raw_stdout() -> TextIO:
    """The real stdout, for the one command whose point is to print plaintext (`decrypt --stdout`)."""
    stream = sys.stdout
    if isinstance(stream, MaskingStream):
        stream.flush()
        return stream.wrapped
    return stream


@contextlib.contextmanager
def unmasked_stdout() -> Iterator[None]:
    """Let stdout through unmasked, for `--show-secrets`; stderr stays masked."""
    stream = sys.stdout
    if not isinstance(stream, MaskingStream):
        yield
        return
    stream.flush()
    stream.masking = False
    try:
        yield
    finally:
        stream.masking = True

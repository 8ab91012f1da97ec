"""Text for the XML files (junit.xml, timeline.svg): characters XML 1.0 cannot hold dropped, markup escaped.

Container logs carry terminal escapes and other control characters that no XML
parser accepts; one of them would make CI discard the whole file.
Must not: mask (write_all does) or shorten text.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape as _escape

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(text: str) -> str:
    """The text without the characters XML 1.0 forbids (for ElementTree, which escapes the rest)."""
    return _NOT_XML.sub("", text)


def escape(text: str) -> str:
    """The text cleaned and escaped for element content and double-quoted attributes."""
    return _escape(clean(text), {'"': "&quot;"})

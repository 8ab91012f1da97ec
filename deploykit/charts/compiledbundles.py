"""One file of compiled templates per chart tree: a new process reads it with one read and one unmarshal.

Owns the bundle file of a chart tree in the compiled-template cache folder
(`environment.cache_dir()`): template name -> (SHA-1 of the template text it
was compiled from, the code). The file is named by the tree's template names,
so the same chart in another checkout or CI job finds it; each entry serves
only the exact text it was compiled from (an edited template, whatever its
size or time stamp, misses and is compiled again). The file is read and
unmarshalled whole on the first template a render asks for: one unmarshal of
every code object shares the names and constants templates have in common,
which costs half as much as unmarshalling each template's code on its own
(a template that is not rendered, a disabled subchart's, costs its share).

Writes replace the file atomically (a temporary file in the same folder,
then `os.replace`): two processes saving at once leave one whole bundle,
never a mix, and a reader never sees half a file. A damaged, truncated or
foreign file reads as empty (everything is compiled again and the file
rewritten), never as an error. An unwritable folder only costs compile time.

Must not: compile templates (the environment does), or read or write
anything outside the cache folder it is given.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import tempfile
import threading
import types
from typing import Mapping

import jinja2.bccache

# The layout of a bundle file; a change of it gives bundles a new magic (an old file reads as empty) and a new
# name, so deploykit versions sharing a cache folder (a CI cache across an upgrade) do not rewrite each other's.
FORMAT = 2
MAGIC = f"deploykit-compiled-bundle-{FORMAT}\n".encode() + jinja2.bccache.bc_magic

Entry = tuple[str, types.CodeType]


def checksum(text: str) -> str:
    """The SHA-1 of a template text, as stored with its compiled code."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def bundle_path(directory: str, names: Mapping[str, str] | list[str]) -> str:
    """The bundle file of a chart tree whose templates have these (virtual) names."""
    key = hashlib.sha256("\0".join(sorted(names)).encode("utf-8")).hexdigest()[:32]
    return os.path.join(directory, f"tree-{key}.v{FORMAT}.bundle")


def read_entries(data: bytes) -> dict[str, Entry]:
    """The entries of a bundle file's bytes; {} for anything that is not a whole bundle of this format."""
    if not data.startswith(MAGIC):
        return {}
    try:
        entries = marshal.loads(data[len(MAGIC):])
    except Exception:  # noqa: BLE001 - truncated or garbage: a miss, never a failed render
        return {}
    if not isinstance(entries, dict):
        return {}
    return {
        name: entry for name, entry in entries.items()
        if type(name) is str and type(entry) is tuple and len(entry) == 2
        and type(entry[0]) is str and type(entry[1]) is types.CodeType
    }


class Bundle:
    """The compiled templates of one chart tree: what the file held when first read, plus what was compiled since."""

    def __init__(self, directory: str | None, sources: Mapping[str, str]) -> None:
        self.path = bundle_path(directory, list(sources)) if directory else None
        self.sources = sources
        self._entries: dict[str, Entry] | None = None
        self._added: dict[str, Entry] = {}
        self._lock = threading.Lock()  # a pipeline renders the same chart for several clusters at once, in threads

    def _read(self) -> dict[str, Entry]:
        if self.path is None:
            return {}
        try:
            with open(self.path, "rb") as handle:
                return read_entries(handle.read())
        except OSError:
            return {}

    def code(self, name: str, text_checksum: str) -> types.CodeType | None:
        """The compiled code of template `name` if the bundle holds it for the text with this checksum, else None."""
        entries = self._entries
        if entries is None:
            with self._lock:
                if self._entries is None:
                    self._entries = self._read()
                entries = self._entries
        entry = entries.get(name) or self._added.get(name)
        if entry is None or entry[0] != text_checksum:
            return None  # not compiled yet, or compiled from another text
        return entry[1]

    def add(self, name: str, text_checksum: str, code: types.CodeType) -> None:
        """Keep the code just compiled from the text with this checksum; `save` writes it."""
        with self._lock:
            self._added[name] = (text_checksum, code)

    def save(self) -> None:
        """Write the bundle if templates were compiled since it was read: its entries for the tree's current
        texts, merged with those another process may have saved meanwhile. Never raises for a bad folder."""
        if self.path is None or not self._added:
            return
        with self._lock:
            self._save(self.path)

    def _save(self, path: str) -> None:
        current = {name: checksum(text) for name, text in self.sources.items()}
        merged = {**self._read(), **(self._entries or {}), **self._added}
        kept = {name: entry for name, entry in merged.items() if current.get(name) == entry[0]}
        data = MAGIC + marshal.dumps(kept)
        directory = os.path.dirname(path)
        try:
            handle, partial = tempfile.mkstemp(dir=directory, prefix=".bundle-", suffix=".partial")
        except OSError:
            return  # unwritable: the next process compiles again
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(partial, path)
        except OSError:
            try:
                os.unlink(partial)
            except OSError:
                pass
            return
        self._entries, self._added = kept, {}

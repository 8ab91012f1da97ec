"""A record's chart files as a deterministic tar.gz (base64 text), read lazily.

`pack` writes the files sorted, without times or owners, so equal files give
equal text. `PackedFiles` is what a record read back holds: the stored text
checked as base64 gzip at once, its tar read only when a file is asked for
(a rollback re-rendering the chart), and written again as the very text it
was read from. An upgrade reads the previous record and rewrites it as
superseded without ever looking at its chart files: no tar read or written
for those (a 1,000-template chart: ~0.2 s of each run).

Must not: hold anything but the chart's own files (values and secrets are
recorded elsewhere, fingerprinted).
"""

from __future__ import annotations

import base64
import binascii
import gzip
import io
import tarfile
import zlib
from collections.abc import Callable, Iterator, Mapping

from deploykit import errors

# Mirrors records.MAX_RECORD_BYTES's purpose: a tar that inflates beyond this is refused, not read.
MAX_TAR_BYTES = 64 * 1024 * 1024


def pack(files: Mapping[str, bytes]) -> str:
    """base64 of a tar.gz of the files, sorted, without times or owners: equal files give equal text."""
    if isinstance(files, PackedFiles):
        return files.text
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=9, mtime=0) as zipped:
        with tarfile.open(fileobj=zipped, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for path in sorted(files):
                data = bytes(files[path])
                info = tarfile.TarInfo(path)
                info.size, info.mode, info.mtime = len(data), 0o644, 0
                tar.addfile(info, io.BytesIO(data))
    return base64.b64encode(buffer.getvalue()).decode("ascii")


class PackedFiles(Mapping[str, bytes]):
    """Chart files with their packed text: read back from a record (tar read on first use), or packed once."""

    def __init__(self, *, text: str | None = None, tar: bytes = b"", files: Mapping[str, bytes] | None = None,
                 damaged: Callable[[str], errors.RecordError] | None = None, where: str = "") -> None:
        self._text = text
        self._tar = tar
        self._damaged = damaged
        self._where = where
        self._files = dict(files) if files is not None else None

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = pack(self._unpacked())
        return self._text

    def _unpacked(self) -> dict[str, bytes]:
        if self._files is None:
            assert self._damaged is not None
            self._files = _read_tar(self._tar, self._where, self._damaged)
        return self._files

    def __getitem__(self, path: str) -> bytes:
        return self._unpacked()[path]

    def __iter__(self) -> Iterator[str]:
        return iter(self._unpacked())

    def __len__(self) -> int:
        return len(self._unpacked())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PackedFiles) and other._text is not None and other._text == self._text:
            return True
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]  # a mapping, compared by content

    def __repr__(self) -> str:
        return f"PackedFiles({'read' if self._files is not None else 'packed'})"


def packed(files: Mapping[str, bytes]) -> PackedFiles:
    """The files, packed at most once however many records of the revision are written."""
    return files if isinstance(files, PackedFiles) else PackedFiles(files=files)


def read(text: str, where: str, damaged: Callable[[str], errors.RecordError]) -> PackedFiles:
    """The files `text` packs; `damaged(what)` is raised at once if it is not base64 of complete gzip data."""
    try:
        tar = zlib.decompressobj(wbits=31)
        unzipped = tar.decompress(base64.b64decode(text, validate=True), MAX_TAR_BYTES + 1)
        complete = tar.eof and len(unzipped) <= MAX_TAR_BYTES
    except (binascii.Error, ValueError, zlib.error) as exc:
        raise damaged(f"{where} is not a readable tar.gz") from exc
    if not complete:
        raise damaged(f"{where} is not a readable tar.gz")
    return PackedFiles(text=text, tar=unzipped, damaged=damaged, where=where)


def _read_tar(data: bytes, where: str, damaged: Callable[[str], errors.RecordError]) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            for member in tar:
                reader = tar.extractfile(member) if member.isreg() else None
                if reader is None or member.name in files:
                    raise damaged(f"{where} holds {member.name!r} twice or not as a plain file")
                files[member.name] = reader.read()
    except (tarfile.TarError, ValueError, OSError, EOFError) as exc:
        raise damaged(f"{where} is not a readable tar.gz") from exc
    return files

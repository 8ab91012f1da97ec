"""Reading chart archives (.tgz) safely, in memory.

Owns: turning the bytes of a Helm-layout archive (every entry under one top
folder) into a map of chart-relative path -> content, refusing anything
unsafe with an `ArchiveError` that names the archive and the entry: absolute
paths, `..`, links that leave the chart, devices and other special files, more
than MAX_FILES entries, an entry above MAX_FILE_BYTES or a total above
MAX_TOTAL_BYTES (a decompression bomb stops at the bound, not at the end).

Must not: write anything to disk, or interpret the files (the loader does).
"""

from __future__ import annotations

import io
import posixpath
import zlib

from deploykit import errors

MAX_TOTAL_BYTES = 20 * 1024 * 1024
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_FILES = 5000


def _refuse(archive: str, entry: str, reason: str) -> errors.ArchiveError:
    return errors.ArchiveError(
        f"{archive}: entry {entry!r} {reason}; the archive was not loaded",
        hint="rebuild it with `helm package` or `tar czf` from the chart folder",
    )


def _clean(archive: str, name: str) -> str:
    if name.startswith("/") or name.startswith("\\") or (len(name) > 1 and name[1] == ":"):
        raise _refuse(archive, name, "has an absolute path")
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
    if ".." in parts:
        raise _refuse(archive, name, "has '..' in its path (it would land outside the chart)")
    return "/".join(parts)


def read_archive(data: bytes, *, archive: str) -> dict[str, bytes]:
    """Files of the chart in a .tgz, keyed by path below the archive's top folder."""
    import tarfile  # chart folders, the common case, do not pay for tarfile, bz2 and lzma

    try:
        tar = tarfile.open(fileobj=io.BytesIO(data), mode="r:*")
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise errors.ArchiveError(f"{archive}: not a chart folder, and not a readable .tgz chart archive", hint="give the folder holding Chart.yaml, or a .tgz made by `helm package`") from exc
    files: dict[str, bytes] = {}
    links: dict[str, tuple[str, str]] = {}
    total = 0
    count = 0
    top: str | None = None
    try:
        with tar:
            for member in tar:
                count += 1
                if count > MAX_FILES:
                    raise _refuse(archive, member.name, f"is past the limit of {MAX_FILES} entries")
                if member.name in ("pax_global_header",) or member.type in (tarfile.XGLTYPE, tarfile.XHDTYPE):
                    continue
                path = _clean(archive, member.name)
                if not path:
                    continue
                head, _, rest = path.partition("/")
                if top is None:
                    top = head
                elif head != top:
                    raise _refuse(archive, member.name, f"is outside the archive's top folder {top!r} (a chart archive has exactly one)")
                if member.isdir():
                    continue
                if not rest:
                    raise _refuse(archive, member.name, "is a file at the archive root (a chart archive holds one folder)")
                if member.issym() or member.islnk():
                    links[rest] = (member.linkname, "symlink" if member.issym() else "hard link")
                    continue
                if not member.isfile():
                    raise _refuse(archive, member.name, "is a device, FIFO or other special file")
                if member.size > MAX_FILE_BYTES:
                    raise _refuse(archive, member.name, f"is {member.size} bytes, above the per-file limit of {MAX_FILE_BYTES}")
                total += member.size
                if total > MAX_TOTAL_BYTES:
                    raise _refuse(archive, member.name, f"takes the archive past the limit of {MAX_TOTAL_BYTES} bytes unpacked")
                extracted = tar.extractfile(member)
                files[rest] = extracted.read() if extracted else b""
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise errors.ArchiveError(f"{archive}: the archive is corrupt ({exc})") from exc
    if top is None:
        raise errors.ArchiveError(f"{archive}: the archive is empty")
    _resolve_links(archive, top, files, links)
    return files


def _resolve_links(archive: str, top: str, files: dict[str, bytes], links: dict[str, tuple[str, str]]) -> None:
    """Replace links that stay inside the chart by their target's content; refuse the rest."""
    for path, (target, kind) in links.items():
        entry = f"{top}/{path}"
        if target.startswith("/"):
            raise _refuse(archive, entry, f"is a {kind} to the absolute path {target!r}")
        # Symlinks are relative to their folder; tar hard links name a path in the archive.
        base = posixpath.dirname(path) if kind == "symlink" else ""
        if kind != "symlink":
            target = target.partition("/")[2] if target.startswith(top + "/") else target
        resolved = posixpath.normpath(posixpath.join(base, target))
        if resolved.startswith("../") or resolved == "..":
            raise _refuse(archive, entry, f"is a {kind} pointing out of the chart ({target!r})")
        if resolved not in files:
            raise _refuse(archive, entry, f"is a {kind} to {target!r}, which is not a file in the chart")
        files[path] = files[resolved]

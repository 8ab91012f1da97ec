"""Save an output file whole or not at all: a reader sees the old file or the new one, never half of one.

Every file deploykit writes for a user (a stage's report files, `--report`,
`plan --out`, `template --output-dir`, `pipeline ci --out`, `package`, the archives
and Chart.lock of `dependency update`) goes through
`save()`: the data is written to a temporary file in the same folder, synced
to disk, then renamed over the target (`os.replace`, atomic on POSIX). A
SIGKILL or a full disk mid-write leaves the previous file as it was; a
failed write removes its temporary file. A SIGKILL cannot: it leaves a hidden
`.NAME.PID-*.tmp` beside the target, which the next save of that file removes
once no process of that PID runs (so a report folder uploaded by CI carries it
at most until the rerun). The new file gets the mode a plain
`open(path, "w")` would give: the existing file's, or 0666 less the umask.
A target that is not a regular file (`/dev/stdout`, a FIFO) is written in place.

Must not: decide what to write or mask anything (callers do), or turn OSError
into a deploykit error (each caller words its own).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

NEW_FILE_MODE = 0o666  # less the umask, as open(path, "w") does


def save(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """Write `data` (str as UTF-8) to `path` atomically; the path. Raises OSError, with the target untouched."""
    target = Path(os.path.realpath(path))  # through a symlink, as open(path, "w") writes
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        existing = target.stat()
    except FileNotFoundError:
        existing = None
    if existing is not None and not stat.S_ISREG(existing.st_mode):
        with open(target, "wb") as stream:  # a device or FIFO: nothing to replace
            stream.write(payload)
        return target
    _remove_abandoned_temporaries(target)
    temporary = target.with_name(f".{target.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0),
                         NEW_FILE_MODE)
    try:
        with os.fdopen(descriptor, "wb") as stream:
            if existing is not None:
                os.fchmod(stream.fileno(), stat.S_IMODE(existing.st_mode))
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_folder(target.parent)
    return target


def _remove_abandoned_temporaries(target: Path) -> None:
    """Delete the temporary files of earlier saves of `target` whose writer no longer runs (killed mid-write)."""
    prefix = f".{target.name}."
    try:
        names = [name for name in os.listdir(target.parent) if name.startswith(prefix) and name.endswith(".tmp")]
    except OSError:
        return
    for name in names:
        pid, dash, _ = name[len(prefix):-len(".tmp")].partition("-")
        if not dash or not pid.isdigit() or _running(int(pid)):
            continue  # not ours, or its writer may still be writing
        with contextlib.suppress(OSError):
            os.unlink(target.parent / name)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable; a folder that cannot be opened or synced (some filesystems) is let be."""
    try:
        descriptor = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)

"""The CI guard behind `deploykit secrets check`: every secret file is encrypted and decryptable.

Owns: finding the secret files under the given paths (those the `rules`
module declares secret, and any file holding sops ciphertext, so that one
whose `sops:` block was lost is caught too), and checking each one with the keys of the
current environment: it is sops-encrypted, and sops decrypts it (so its MAC
holds and a key is at hand). Files are checked in parallel, like any
decryption.

Must not: report a decrypted value (findings carry error messages only),
or descend into hidden folders, virtual environments or node_modules.
"""

from __future__ import annotations

import concurrent.futures
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from deploykit import errors
from deploykit.frozen import frozen
from deploykit.secrets import decrypting, keyrings, sops

_SKIPPED_FOLDERS = frozenset({"node_modules", "__pycache__", "venv", "site-packages"})


@frozen
class Finding:
    """The verdict on one secret file: ok, or the problem (an error message, never a value)."""

    path: Path
    problem: str | None = None
    hint: str | None = None
    error: type[errors.DeploykitError] | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def secret_files(paths: Sequence[Path]) -> list[Path]:
    """Secret files under `paths`, sorted: declared secret, or holding sops ciphertext; a file named explicitly counts."""
    found: dict[Path, None] = {}
    for path in paths:
        if path.is_file():
            found[path] = None
        elif path.is_dir():
            for file in _walk(path):
                if decrypting.needs_decryption(file):
                    found[file] = None
        else:
            raise errors.UsageError(f"{path}: no such file or folder")
    return sorted(found)


def _walk(root: Path) -> Iterator[Path]:
    for folder, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in _SKIPPED_FOLDERS)
        for name in sorted(filenames):
            yield Path(folder) / name


def check(paths: Sequence[Path], *, env: Mapping[str, str] | None = None, jobs: int | None = None) -> list[Finding]:
    """A finding per secret file under `paths`, in path order."""
    files = secret_files(paths)
    if not files:
        return []
    sops.binary()  # no sops is one error for the whole check, not one per file
    keyrings.sops_environment(env)  # a handed-over key is imported here, in the main thread, which owns signals
    workers = max(1, min(jobs or decrypting.default_jobs(), len(files)))
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="check") as pool:
        return list(pool.map(lambda file: _check_one(file, env=env), files))


def _check_one(file: Path, *, env: Mapping[str, str] | None) -> Finding:
    try:
        decrypting.decrypt_file(file, allow_unencrypted=False, env=env)
    except errors.DeploykitError as exc:
        return Finding(path=file, problem=exc.message, hint=exc.hint, error=type(exc))
    return Finding(path=file)

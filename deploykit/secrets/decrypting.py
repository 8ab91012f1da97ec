"""Decrypt secret values files into memory: in parallel, each file once per run, every leaf redacted.

Owns `DecryptedFile` (the decrypted data, the original sops ciphertext for a
later rollback, the file's key metadata) and the policy around decryption:
a sops-encrypted file is decrypted; a file declared secret (see `rules`)
that is not encrypted is refused, unless the user opted out for a local
experiment; every decrypted leaf, and the secret text a chart can derive
from it (`deriving`), is registered with the run's redactor before anyone
can print it.

Must not: write plaintext anywhere (sops reads the ciphertext from stdin and
writes JSON to a pipe), show a value in a `repr()` or an error, or parse
values with provenance (values/ does that with the data it is handed).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from deploykit import errors
from deploykit.frozen import frozen
from deploykit.secrets import ciphertexts, deriving, metadata, redaction

ALLOW_UNENCRYPTED_ENV = "DEPLOYKIT_ALLOW_UNENCRYPTED_SECRETS"
DAMAGED_HINT = (
    "restore the file's `sops:` block from git (`git log -p -- FILE` shows the change that lost it); "
    "if that is not possible, write the values again in plaintext and encrypt them: "
    "`deploykit secrets encrypt --in-place FILE`"
)
# A sops call lives ~15 ms and allocates little: without Go's garbage collector
# it costs ~20% less CPU, and CPU is what bounds parallel decryption.
_SOPS_TUNING = {"GOGC": "off"}


@frozen(eq=False)
class DecryptedFile:
    """A secret values file decrypted in memory.

    `ciphertext` is the file exactly as read (sops-encrypted unless
    `encrypted` is False), kept so that a rollback can decrypt the same
    secrets again. `data` is the decrypted mapping: never print it.
    """

    path: Path
    format: str
    ciphertext: bytes
    data: Mapping[str, Any]
    encrypted: bool
    key_info: metadata.SopsMetadata | None

    def __repr__(self) -> str:
        state = "sops-encrypted" if self.encrypted else "NOT encrypted"
        return f"<DecryptedFile {self.path} ({state}, {sum(1 for _ in self.leaves())} leaves)>"

    def leaves(self) -> Iterator[tuple[str, Any]]:
        """(value path, value) of every scalar leaf, e.g. `('db.password', ...)`, `('hosts[0]', ...)`."""
        yield from ciphertexts.iter_leaves(self.data)

    def too_short(self) -> list[str]:
        """Value paths of leaves too short to be masked (lint warns; their values are never returned)."""
        return [path for path, value in self.leaves() if redaction.is_too_short(value)]


def default_jobs() -> int:
    """How many sops processes run at once: one per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def is_ci(env: Mapping[str, str] | None = None) -> bool:
    """True in a CI job (CI=true, as GitLab, GitHub and most CI systems set it)."""
    return _truthy((os.environ if env is None else env).get("CI"))


_cache: dict[tuple[Path, str], DecryptedFile] = {}
_cache_lock = threading.Lock()


def forget() -> None:
    """Drop every decrypted file of this run from the cache (the next request decrypts again)."""
    with _cache_lock:
        _cache.clear()


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise errors.SecretsError(f"{path}: no such file") from None
    except OSError as exc:
        raise errors.SecretsError(f"{path}: cannot be read: {exc.strerror}") from None


def is_sops_file(path: Path) -> bool:
    """True when the file is sops-encrypted (has sops metadata); False for plaintext, other formats, unreadable files."""
    try:
        fmt = metadata.file_format(path)
        content = path.read_bytes()
    except (errors.SecretsError, OSError):
        return False
    return metadata.is_encrypted(content, fmt=fmt)


def needs_decryption(path: Path) -> bool:
    """True when a values file goes through this module: it is sops-encrypted, holds sops ciphertext, or is declared secret.

    A file holding ciphertext without valid sops metadata comes here to be
    refused as damaged (read as plain values, it would deploy the ciphertext).
    A file that cannot be read is not: the values loader reports it.
    """
    from deploykit.secrets import rules  # not imported by a render given no values file

    if not path.is_file():
        return False
    try:
        fmt = metadata.file_format(path)
        content = path.read_bytes()
    except (errors.SecretsError, OSError):
        return False
    return (
        metadata.is_encrypted(content, fmt=fmt)
        or ciphertexts.holds_ciphertext(content)
        or rules.is_declared_secret(path)
    )


def refuse_damaged(path: Path, content: bytes, *, fmt: str) -> None:
    """Raise when a file holds sops ciphertext but is no valid sops file (cut short, or its `sops:` block lost).

    Such a file is neither plaintext to encrypt nor sops's to decrypt: read as
    values, it would deploy the ciphertext itself as the value.
    """
    if not ciphertexts.holds_ciphertext(content):
        return
    missing = metadata.missing_fields(content, fmt=fmt)
    if missing:
        raise errors.SecretsError(
            f"{path}: damaged sops file: its sops metadata has no {', '.join(missing)} "
            "(the file was cut short, or its `sops:` block edited by hand)",
            hint=DAMAGED_HINT,
        )
    if missing is not None:
        return  # complete metadata: sops checks the rest (its MAC)
    try:
        data = _parse_plaintext(path, content, fmt)
    except errors.SecretsError:
        raise errors.SecretsError(
            f"{path}: damaged sops file: it holds sops ciphertext (ENC[...]) but cannot be parsed as {fmt} "
            "(was it cut short?)",
            hint=DAMAGED_HINT,
        ) from None
    found = next(((where, value) for where, value in ciphertexts.iter_leaves(data) if ciphertexts.is_ciphertext(value)), None)
    if found is None:
        return  # ciphertext only in a comment or a key: no value would be deployed from it
    where, value = found
    line = ciphertexts.ciphertext_line(content, value)
    raise errors.SecretsError(
        f"{path}{f':{line}' if line else ''}: {where} is sops ciphertext (ENC[...]), but the file has no sops "
        "metadata (its `sops:` block is missing, deleted in a merge or cut off): the ciphertext would be "
        "deployed as the value",
        hint=DAMAGED_HINT,
    )


def decrypt_file(
    path: Path,
    *,
    allow_unencrypted: bool | None = None,
    env: Mapping[str, str] | None = None,
) -> DecryptedFile:
    """Decrypt one secret file into memory (cached for the run), its leaves registered with the redactor."""
    return decrypt_files([path], allow_unencrypted=allow_unencrypted, env=env)[0]


def decrypt_files(
    paths: Sequence[Path],
    *,
    allow_unencrypted: bool | None = None,
    env: Mapping[str, str] | None = None,
    jobs: int | None = None,
) -> list[DecryptedFile]:
    """Decrypt secret files in parallel (bounded by `jobs`, default one per core), in the order given.

    A file appears once in the work however often it is named, and a file
    already decrypted in this run (same path, same bytes) is not decrypted
    again. After a failure no further sops is started; the first failure
    (in the order given) is raised once the running ones have ended.
    `allow_unencrypted` None reads DEPLOYKIT_ALLOW_UNENCRYPTED_SECRETS.
    """
    base_env = dict(os.environ if env is None else env)
    if allow_unencrypted is None:
        allow_unencrypted = _truthy(base_env.get(ALLOW_UNENCRYPTED_ENV))
    unique: dict[Path, Path] = {}
    for given_path in paths:
        unique.setdefault(Path(given_path).resolve(), Path(given_path))
    results: dict[Path, DecryptedFile] = {}
    pending: list[tuple[Path, bytes, str, str]] = []
    for resolved, given in unique.items():
        ciphertext = _read(given)
        fmt = metadata.file_format(given)
        digest = hashlib.sha256(ciphertext).hexdigest()
        with _cache_lock:
            cached = _cache.get((resolved, digest))
        if cached is not None:
            results[resolved] = cached
        else:
            pending.append((given, ciphertext, fmt, digest))
    work = []
    for given, ciphertext, fmt, digest in pending:
        refuse_damaged(given, ciphertext, fmt=fmt)
        key_info = metadata.read(ciphertext, fmt=fmt)
        if key_info is None:
            results[given.resolve()] = _plaintext(given, ciphertext, fmt, allow=allow_unencrypted, env=base_env)
        else:
            work.append((given, ciphertext, fmt, digest, key_info))
    if work:
        import concurrent.futures

        from deploykit.secrets import keyrings, sops  # sops and its keys only when there is something to decrypt

        sops_env = {**_SOPS_TUNING, **keyrings.sops_environment(base_env)}
        sops.binary()  # locate and version-check once, before the threads start
        workers = max(1, min(jobs or default_jobs(), len(work)))
        with concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sops") as pool:
            futures = [pool.submit(_decrypt_one, item, sops_env) for item in work]
            concurrent.futures.wait(futures, return_when=concurrent.futures.FIRST_EXCEPTION)
            for future in futures:
                future.cancel()  # after a failure, files not started yet are not worth a sops call
        failures = [f.exception() for f in futures if not f.cancelled() and f.exception() is not None]
        if failures:
            raise failures[0]  # the first failure in the order given
        for future, item in zip(futures, work):
            decrypted = future.result()
            results[item[0].resolve()] = decrypted
            with _cache_lock:
                _cache[(item[0].resolve(), item[3])] = decrypted
    return [results[Path(p).resolve()] for p in paths]


def decrypt_ciphertext(
    ciphertext: bytes, *, fmt: str, source: str, env: Mapping[str, str] | None = None
) -> DecryptedFile:
    """Decrypt stored sops ciphertext (e.g. `DecryptedFile.ciphertext` kept by a release, for a rollback).

    `source` names it in errors (e.g. `release web v3: secrets/prod.yaml`); nothing is read from disk.
    """
    if fmt not in metadata.FORMATS:
        raise errors.SecretsError(f"{source}: unsupported secret format {fmt!r}")
    key_info = metadata.read(ciphertext, fmt=fmt)
    if key_info is None:
        raise errors.NotEncryptedError(f"{source}: the stored data is not sops-encrypted")
    from deploykit.secrets import keyrings

    sops_env = {**_SOPS_TUNING, **keyrings.sops_environment(env)}
    digest = hashlib.sha256(ciphertext).hexdigest()
    return _decrypt_one((Path(source), ciphertext, fmt, digest, key_info), sops_env)


def _decrypt_one(
    item: tuple[Path, bytes, str, str, metadata.SopsMetadata], env: Mapping[str, str]
) -> DecryptedFile:
    from deploykit.secrets import sops

    path, ciphertext, fmt, _digest, key_info = item
    output = sops.run(
        ["decrypt", "--input-type", fmt, "--output-type", "json"],
        source=path,
        env=env,
        stdin=ciphertext,
        key_info=key_info,
    )
    try:
        data = json.loads(output)
    except ValueError:
        # The output is plaintext: say nothing about it but that it is unreadable.
        raise errors.SecretsError(f"{path}: sops returned output deploykit cannot read as JSON") from None
    return _finish(path, fmt=fmt, ciphertext=ciphertext, data=data, encrypted=True, key_info=key_info)


def _plaintext(
    path: Path, content: bytes, fmt: str, *, allow: bool, env: Mapping[str, str]
) -> DecryptedFile:
    hint = "encrypt it with `deploykit secrets encrypt --in-place FILE`"
    if not allow:
        raise errors.NotEncryptedError(
            f"{path}: declared secret but NOT sops-encrypted; refusing to use plaintext secrets",
            hint=hint + f" (for a local experiment only: {ALLOW_UNENCRYPTED_ENV}=1 or --allow-unencrypted-secrets)",
        )
    if is_ci(env):
        raise errors.NotEncryptedError(
            f"{path}: declared secret but NOT sops-encrypted; the opt-out for unencrypted secrets "
            "is for local experiments and is ignored in CI (CI=true)",
            hint=hint,
        )
    import logging  # only here: a process that warns of nothing does not import logging

    logging.getLogger("deploykit.secrets").warning(
        "WARNING: %s is declared secret but NOT encrypted; using it only because unencrypted "
        "secrets were allowed. Never commit it like this.",
        path,
    )
    data = _parse_plaintext(path, content, fmt)
    return _finish(path, fmt=fmt, ciphertext=content, data=data, encrypted=False, key_info=None)


def _parse_plaintext(path: Path, content: bytes, fmt: str) -> Any:
    import yaml  # loaded when a YAML secret is read, not by every process that imports this module

    text = content.decode("utf-8", "replace")
    try:
        if fmt == "json":
            return json.loads(text)
        if fmt == "dotenv":
            pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line and not line.lstrip().startswith("#"))
            return {key.strip(): value for key, value in pairs}
        return yaml.safe_load(text)
    except (ValueError, yaml.YAMLError):
        # The parser's message would quote the offending (secret) text.
        raise errors.SecretsError(f"{path}: cannot be parsed as {fmt}") from None


def _finish(
    path: Path,
    *,
    fmt: str,
    ciphertext: bytes,
    data: Any,
    encrypted: bool,
    key_info: metadata.SopsMetadata | None,
) -> DecryptedFile:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise errors.SecretsError(f"{path}: a secret values file must hold a mapping at the top level")
    decrypted = DecryptedFile(
        path=path, format=fmt, ciphertext=ciphertext, data=data, encrypted=encrypted, key_info=key_info
    )
    redactor = redaction.current()
    for _path, value in decrypted.leaves():
        redactor.register(value)
        # What a template can turn the value into (a JSON document's strings, b64dec, tpl) is secret too.
        redactor.register_all(deriving.derived(value))
    return decrypted

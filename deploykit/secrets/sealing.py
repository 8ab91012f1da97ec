"""Sealing a small secret (a release's fingerprint key) with sops, to the recipients of the release's secret files.

A release record holds keyed fingerprints of secret values; the key must not
sit beside them in plaintext, or anyone reading the record could test
guesses of a weak password offline. So the key is stored sops-encrypted to
the same master keys as the secret files it protects: whoever can decrypt
those files can open the key, nobody else can.

Must not: write the key or any plaintext to disk (sops reads it from a pipe),
or return the sealed key's plaintext in any message.
"""

from __future__ import annotations

import base64
import json
import os
import secrets as _random
from collections.abc import Mapping
from pathlib import Path

from deploykit import errors
from deploykit.secrets import decrypting, keyrings, metadata, sops

KEY_BYTES = 32
# sops's command-line flag for each kind of master key in a file's metadata.
_FLAGS = {
    "age": "--age", "pgp": "--pgp", "kms": "--kms", "gcp_kms": "--gcp-kms", "azure_kv": "--azure-kv",
    "hc_vault": "--hc-vault-transit",
}


def new_key() -> bytes:
    return _random.token_bytes(KEY_BYTES)


def seal(key: bytes, *, like: metadata.SopsMetadata, source: str, env: Mapping[str, str] | None = None) -> bytes:
    """`key` as a sops-encrypted JSON document, to the master keys listed in `like` (a secret file's metadata)."""
    arguments: dict[str, list[str]] = {}
    # PGP needs each public key in the keyring at hand; age and KMS recipients need nothing: prefer them.
    recipients = [r for r in like.recipients if r.kind != "pgp"] or list(like.recipients)
    for recipient in recipients:
        flag = _FLAGS.get(recipient.kind)
        if flag:
            arguments.setdefault(flag, []).append(recipient.ident)
    if not arguments:
        raise errors.SecretsError(f"{source}: its secret files list no master key deploykit can encrypt to",
                                  hint="encrypt the secret files to an age, PGP or KMS key")
    # An empty config: the recipients are given here, and a project's .sops.yaml (found from the current folder)
    # whose rules match no /dev/stdin would make sops refuse ("no matching creation rules found").
    command = ["--config", os.devnull, "encrypt", "--input-type", "json", "--output-type", "json"]
    for flag, idents in arguments.items():
        command += [flag, ",".join(idents)]
    document = json.dumps({"fingerprintKey": base64.b64encode(key).decode("ascii")}).encode("ascii")
    return sops.run([*command, "/dev/stdin"], source=Path(source), env=keyrings.sops_environment(env), stdin=document)


def open_sealed(sealed: bytes, *, source: str, env: Mapping[str, str] | None = None) -> bytes:
    """The key inside a document made by `seal`; a SecretsError (no key, damaged) names `source`."""
    opened = decrypting.decrypt_ciphertext(sealed, fmt="json", source=source, env=env)
    try:
        return base64.b64decode(str(opened.data["fingerprintKey"]), validate=True)
    except (KeyError, ValueError) as exc:
        raise errors.SecretsError(f"{source}: the sealed fingerprint key is damaged") from exc

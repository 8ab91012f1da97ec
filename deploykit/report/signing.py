"""Sign and verify report.json with ed25519, so a later stage can trust the evidence of an earlier one.

`report.sig` is the base64 (standard alphabet, one line, final newline) of the
64-byte ed25519 signature over the exact bytes of report.json. Keys are PEM
(PKCS#8 private, SubjectPublicKeyInfo public, as `openssl genpkey -algorithm
ed25519` writes) or base64 of the 32 raw key bytes. The private key comes from
$DEPLOYKIT_REPORT_KEY or a file.
Must not: put key material in any message, or read the environment itself.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from deploykit import errors

KEY_VARIABLE = "DEPLOYKIT_REPORT_KEY"
SIGNATURE_FILE = "report.sig"
KEY_HINT = ("use an ed25519 key: `openssl genpkey -algorithm ed25519` (PEM), "
            "or base64 of its 32 raw bytes")


def _raw(text: str) -> bytes | None:
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        return None


def private_key_from_text(text: str | bytes, *, source: str) -> ed25519.Ed25519PrivateKey:
    """The ed25519 private key PEM or base64 text holds; `source` names where it came from in errors."""
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    problem = f"{source} is not an ed25519 private key"
    if "-----BEGIN" in text:
        try:
            key = serialization.load_pem_private_key(text.encode(), password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
            raise errors.ReportError(f"{problem} (unreadable or encrypted PEM)", hint=KEY_HINT) from exc
        if not isinstance(key, ed25519.Ed25519PrivateKey):
            raise errors.ReportError(f"{problem} (a PEM key of another algorithm)", hint=KEY_HINT)
        return key
    raw = _raw(text)
    if raw is None or len(raw) != 32:
        raise errors.ReportError(f"{problem} (neither PEM nor base64 of 32 bytes)", hint=KEY_HINT)
    return ed25519.Ed25519PrivateKey.from_private_bytes(raw)


def public_key_from_text(text: str | bytes, *, source: str = "the public key") -> ed25519.Ed25519PublicKey:
    """The ed25519 public key PEM or base64 text holds."""
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    problem = f"{source} is not an ed25519 public key"
    if "-----BEGIN" in text:
        try:
            key = serialization.load_pem_public_key(text.encode())
        except (ValueError, UnsupportedAlgorithm) as exc:
            raise errors.ReportError(f"{problem} (unreadable PEM)", hint=KEY_HINT) from exc
        if not isinstance(key, ed25519.Ed25519PublicKey):
            raise errors.ReportError(f"{problem} (a PEM key of another algorithm)", hint=KEY_HINT)
        return key
    raw = _raw(text)
    if raw is None or len(raw) != 32:
        raise errors.ReportError(f"{problem} (neither PEM nor base64 of 32 bytes)", hint=KEY_HINT)
    return ed25519.Ed25519PublicKey.from_public_bytes(raw)


def load_private_key(env: Mapping[str, str], *, path: Path | None = None) -> ed25519.Ed25519PrivateKey:
    """The signing key: from the file at `path` when given, else from $DEPLOYKIT_REPORT_KEY."""
    if path is not None:
        try:
            text = path.read_bytes()
        except OSError as exc:
            raise errors.ReportError(f"cannot read the report signing key {path}: {exc.strerror}") from exc
        return private_key_from_text(text, source=str(path))
    if not env.get(KEY_VARIABLE):
        raise errors.ReportError("no report signing key",
                                 hint=f"set {KEY_VARIABLE} (a masked CI variable) or pass a key file")
    return private_key_from_text(env[KEY_VARIABLE], source=f"${KEY_VARIABLE}")


def public_key_base64(key: ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey) -> str:
    """The public half as base64 of its 32 raw bytes: what a verifying stage is given."""
    public = key.public_key() if isinstance(key, ed25519.Ed25519PrivateKey) else key
    return base64.b64encode(public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()


def sign(report_bytes: bytes, key: ed25519.Ed25519PrivateKey) -> bytes:
    """The report.sig bytes for the report.json bytes."""
    return base64.b64encode(key.sign(report_bytes)) + b"\n"


def verify(report_bytes: bytes, signature: bytes | str,
           public_key: ed25519.Ed25519PublicKey | str | bytes) -> None:
    """Check report.sig against report.json and a public key; ReportError says what failed."""
    key = public_key if isinstance(public_key, ed25519.Ed25519PublicKey) else public_key_from_text(public_key)
    text = signature.decode("ascii", "replace") if isinstance(signature, bytes) else signature
    raw = _raw(text)
    if raw is None and isinstance(signature, bytes) and len(signature) == 64:
        raw = signature  # a raw signature written by another tool
    if raw is None or len(raw) != 64:
        raise errors.ReportError(f"{SIGNATURE_FILE} is not an ed25519 signature (base64 of 64 bytes)",
                                 hint=f"sign report.json again: {SIGNATURE_FILE} is damaged or from another tool")
    try:
        key.verify(raw, report_bytes)
    except InvalidSignature as exc:
        raise errors.ReportError(
            f"{SIGNATURE_FILE} does not match report.json: the report changed after signing, or another key signed it",
            hint=f"check that the public key belongs to the {KEY_VARIABLE} that signed the stage") from exc

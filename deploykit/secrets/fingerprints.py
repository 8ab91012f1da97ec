"""Keyed fingerprints of secret values, for release records and change detection.

A release record must not hold a decrypted value, yet a later run must tell
whether a secret changed. A keyed hash does both: HMAC-SHA256 under a key the
record does not hold, shortened, with an algorithm prefix so the scheme can
change later without ambiguity.

Must not: hash without a key (a plain hash of a short password is a lookup
away from the password), or return anything from which the value can be read.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from typing import Any

PREFIX = "hmac-sha256:"
# 128 bits: collisions are out of reach, and the record stays readable.
_HEX_CHARS = 32
# A whole fingerprint, as `fingerprint` writes it (records and plans are searched for them).
PATTERN = re.compile(re.escape(PREFIX) + "[0-9a-f]{%d}" % _HEX_CHARS)


def fingerprint(value: Any, *, key: bytes) -> str:
    """`hmac-sha256:<32 hex>` of a secret leaf; equal values under one key give equal fingerprints.

    Strings hash `s:` + their UTF-8 bytes, other leaves `j:` + their
    canonical JSON, so that `5432` and `"5432"` differ.
    """
    if not key:
        raise ValueError("fingerprint() needs a non-empty key")
    data = b"s:" + value.encode("utf-8") if isinstance(value, str) else b"j:" + _canonical(value)
    digest = hmac.new(key, data, hashlib.sha256).hexdigest()
    return PREFIX + digest[:_HEX_CHARS]


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode("utf-8")

"""age identities: read them from the places sops reads them, and tell their recipients.

Owns: parsing `AGE-SECRET-KEY-1...` identities (bech32, X25519), deriving
the `age1...` recipient of each (so `deploykit secrets keys` can say which of
a file's recipients this environment can open), and generating a key pair
(tests need throw-away wrong keys).

Must not: decrypt anything (sops does), print or return an identity in any
message, or write an identity to disk.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import x25519

from deploykit.frozen import frozen

_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
_SECRET_HRP = "age-secret-key-"
_PUBLIC_HRP = "age"


@frozen
class Identity:
    """An age identity found in the environment: where it came from and its recipient (public)."""

    origin: str
    recipient: str

    def __repr__(self) -> str:  # the secret half is never kept
        return f"Identity(origin={self.origin!r}, recipient={self.recipient!r})"


def _polymod(values: list[int]) -> int:
    checksum = 1
    for value in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for bit in range(5):
            checksum ^= _GENERATOR[bit] if (top >> bit) & 1 else 0
    return checksum


def _expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convert(data: list[int] | bytes, from_bits: int, to_bits: int, *, pad: bool) -> list[int] | None:
    accumulator, bits, result = 0, 0, []
    maximum = (1 << to_bits) - 1
    for value in data:
        accumulator = (accumulator << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            result.append((accumulator >> bits) & maximum)
    if pad and bits:
        result.append((accumulator << (to_bits - bits)) & maximum)
    elif not pad and (bits >= from_bits or (accumulator << (to_bits - bits)) & maximum):
        return None
    return result


def bech32_encode(hrp: str, data: bytes) -> str:
    """BIP-173 bech32 of `data` under human-readable part `hrp` (lower case)."""
    words = _convert(data, 8, 5, pad=True) or []
    checksum_input = _expand(hrp) + words + [0] * 6
    polymod = _polymod(checksum_input) ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_CHARSET[w] for w in words + checksum)


def bech32_decode(text: str) -> tuple[str, bytes] | None:
    """(hrp, data) of a bech32 string, or None when it is not valid bech32."""
    lowered = text.strip().lower()
    separator = lowered.rfind("1")
    if separator < 1 or separator + 7 > len(lowered):
        return None
    hrp, payload = lowered[:separator], lowered[separator + 1 :]
    if any(c not in _CHARSET for c in payload):
        return None
    words = [_CHARSET.index(c) for c in payload]
    if _polymod(_expand(hrp) + words) != 1:
        return None
    data = _convert(words[:-6], 5, 8, pad=False)
    return (hrp, bytes(data)) if data is not None else None


def recipient_of(identity: str) -> str | None:
    """The `age1...` recipient of an `AGE-SECRET-KEY-1...` identity, or None if it is not one."""
    decoded = bech32_decode(identity)
    if decoded is None or decoded[0] != _SECRET_HRP or len(decoded[1]) != 32:
        return None
    private = x25519.X25519PrivateKey.from_private_bytes(decoded[1])
    public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return bech32_encode(_PUBLIC_HRP, public)


def generate() -> tuple[str, str]:
    """A new (identity, recipient) pair, as age-keygen would write them."""
    private = x25519.X25519PrivateKey.generate()
    raw = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    identity = bech32_encode(_SECRET_HRP, raw).upper()
    return identity, recipient_of(identity) or ""


def identities_in(text: str, *, origin: str) -> list[Identity]:
    """The identities in a key file's text (comments and blank lines ignored)."""
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line.upper().startswith("AGE-SECRET-KEY-1"):
            recipient = recipient_of(line)
            if recipient:
                found.append(Identity(origin=origin, recipient=recipient))
    return found


def default_key_file(env: Mapping[str, str]) -> Path:
    """Where sops looks for age keys when no variable says otherwise (os.UserConfigDir()/sops/age/keys.txt)."""
    config = env.get("XDG_CONFIG_HOME") or os.path.join(env.get("HOME", os.path.expanduser("~")), ".config")
    return Path(config) / "sops" / "age" / "keys.txt"


def identities_from_environment(env: Mapping[str, str]) -> list[Identity]:
    """Every age identity sops would find in `env`: SOPS_AGE_KEY, SOPS_AGE_KEY_FILE, the default key file."""
    found = identities_in(env.get("SOPS_AGE_KEY", ""), origin="SOPS_AGE_KEY")
    key_file = env.get("SOPS_AGE_KEY_FILE")
    for origin, path in (("SOPS_AGE_KEY_FILE", Path(key_file) if key_file else None), ("default key file", default_key_file(env))):
        if path is not None and path.is_file():
            try:
                found += identities_in(path.read_text(encoding="utf-8", errors="replace"), origin=f"{origin} {path}")
            except OSError:
                continue
    return found

"""Which of a file's recipients the current environment can use, without decrypting anything.

Owns the answer behind `deploykit secrets keys FILE`: for each master key
the file lists, whether a matching private key is at hand (age identities
sops would find, PGP secret keys in the GnuPG home sops would use), and
where it comes from. Cloud KMS and Vault keys cannot be checked offline:
they are reported as such, with the variables that would supply them.

Must not: decrypt, print a private key, or create a GnuPG home that does
not exist (listing keys in a missing ~/.gnupg would create it).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from deploykit.frozen import frozen
from deploykit.secrets import agekeys, metadata, sops

USABLE = "usable"
MISSING = "no key"
UNKNOWN = "not checked"


@frozen
class Assessment:
    """One recipient of a file and whether this environment holds its private key."""

    recipient: metadata.Recipient
    status: str
    detail: str


def assess(key_info: metadata.SopsMetadata, *, env: Mapping[str, str]) -> list[Assessment]:
    """An assessment per recipient; `env` is the environment sops would run in."""
    age_ids = {i.recipient: i.origin for i in agekeys.identities_from_environment(env)}
    pgp_keys: dict[str, str] | None = None
    results = []
    for recipient in key_info.recipients:
        if recipient.kind == "age":
            results.append(_assess_age(recipient, age_ids, env))
        elif recipient.kind == "pgp":
            if pgp_keys is None:
                pgp_keys = _pgp_secret_keys(env)
            results.append(_assess_pgp(recipient, pgp_keys, env))
        else:
            variables = ", ".join(sops.KEY_VARIABLES.get(recipient.kind, ()))
            results.append(
                Assessment(recipient, UNKNOWN, f"cannot be checked offline; sops uses the credentials in {variables}")
            )
    return results


def _assess_age(recipient: metadata.Recipient, found: dict[str, str], env: Mapping[str, str]) -> Assessment:
    if recipient.ident in found:
        return Assessment(recipient, USABLE, f"identity from {found[recipient.ident]}")
    if env.get("SOPS_AGE_KEY_CMD"):
        return Assessment(recipient, UNKNOWN, "SOPS_AGE_KEY_CMD may supply it (not run here)")
    return Assessment(recipient, MISSING, "no matching identity in SOPS_AGE_KEY, SOPS_AGE_KEY_FILE or the default key file")


def _gnupg_home(env: Mapping[str, str]) -> Path:
    explicit = env.get("GNUPGHOME")
    return Path(explicit) if explicit else Path(env.get("HOME", os.path.expanduser("~"))) / ".gnupg"


def _pgp_secret_keys(env: Mapping[str, str]) -> dict[str, str]:
    """Upper-case fingerprints and long key ids of every secret key and subkey -> GnuPG home."""
    home = _gnupg_home(env)
    if not home.is_dir():
        return {}
    import gnupg  # lazy: only this command needs it

    gpg = gnupg.GPG(gnupghome=str(home))
    known: dict[str, str] = {}
    for key in gpg.list_keys(secret=True):
        for ident in (key.get("fingerprint"), key.get("keyid")):
            if ident:
                known[ident.upper()] = str(home)
        for sub in key.get("subkeys") or []:
            for ident in sub:
                if isinstance(ident, str) and len(ident) in (16, 40):
                    known[ident.upper()] = str(home)
    return known


def _assess_pgp(recipient: metadata.Recipient, known: dict[str, str], env: Mapping[str, str]) -> Assessment:
    ident = recipient.ident.replace(" ", "").upper()
    for candidate, home in known.items():
        if candidate == ident or candidate.endswith(ident) or ident.endswith(candidate):
            return Assessment(recipient, USABLE, f"secret key in GnuPG home {home}")
    return Assessment(recipient, MISSING, f"no secret key in GnuPG home {_gnupg_home(env)}")

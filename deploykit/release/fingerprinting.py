"""Secret-free forms of a release's inputs and outputs, for records and plans: keyed fingerprints.

Owns the release's fingerprint key (`release_key`: opened from the last
record's sealed copy, or made and sealed anew, see secrets.sealing), the
`Fingerprinter` that replaces every secret-derived string in a text with its
keyed fingerprint (`hmac-sha256:...`), the values tree with secret leaves
fingerprinted, and the digest of everything that defines a revision
(chart, values, secrets): equal inputs give equal digests under one key.

Must not: keep or return a secret value; every output here is safe to store.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from deploykit.secrets import ciphertexts, decrypting, deriving, fingerprints, redaction, sealing
from deploykit.values import provenance

# With no secret inputs there is nothing to protect: a fixed key keeps digests comparable across runs.
PUBLIC_KEY = b"deploykit: this release has no secret inputs"


def release_key(
    *, sealed: str | None, secret_files: Sequence[decrypting.DecryptedFile], source: str
) -> tuple[bytes, str | None]:
    """(key, sealed copy to store): the previous key when one was sealed, else a new one sealed to the files' keys."""
    encrypted = [f for f in secret_files if f.encrypted and f.key_info is not None]
    if not encrypted:
        return PUBLIC_KEY, None
    if sealed:
        return sealing.open_sealed(sealed.encode("utf-8"), source=f"{source}: fingerprint key"), sealed
    key = sealing.new_key()
    return key, sealing.seal(key, like=encrypted[0].key_info, source=str(encrypted[0].path)).decode("utf-8")


def secret_leaf_texts(values: provenance.Values) -> set[str]:
    """The text of every secret leaf and what a template derives from it, however short."""
    found: set[str] = set()
    for _, leaf in values.secret_leaves():
        for _, value in ciphertexts.iter_leaves(leaf):
            text = redaction.text_form(value)
            if text:
                found.add(text)
                found.update(d for d in deriving.derived(value) if d)
    return found


def read_secret_texts(read: Iterable[str]) -> set[str]:
    """Secret values a render read from the cluster (Helm's `lookup`), and what a template derives from them.

    Those too short to mask (`1`, `true`) are left out: a record would lose every such word of its
    manifest, and a looked-up Secret is not the release's input to protect as a sops value is.
    """
    found: set[str] = set()
    for text in read:
        if not redaction.is_too_short(text):
            found.add(text)
            found.update(d for d in deriving.derived(text) if d and not redaction.is_too_short(d))
    return found


class Fingerprinter:
    """Replaces secret-derived strings (in every printed form) with their keyed fingerprints."""

    def __init__(self, key: bytes, secrets: Iterable[str]) -> None:
        self.key = key
        forms: set[str] = set()
        short: set[str] = set()
        for text in secrets:
            if redaction.is_too_short(text):
                short.add(text)
            else:
                forms |= redaction.printed_forms(text)
        parts = [re.escape(form) for form in sorted(forms, key=len, reverse=True)]
        # Short values (a 3-letter password) only as whole tokens: replacing them inside words mangles the text.
        parts += [rf"(?<![\w]){re.escape(text)}(?![\w])" for text in sorted(short, key=len, reverse=True)]
        self._pattern = re.compile("|".join(parts)) if parts else None
        # What a template made of a secret that is no literal form of it (a case change, an escape stacked twice)
        # is masked by a redactor of this release's secrets alone, so that equal inputs give equal records.
        self._redactor = redaction.Redactor()
        self._redactor.register_all(secrets)

    def of(self, value: Any) -> str:
        return fingerprints.fingerprint(value, key=self.key)

    def text(self, text: str) -> str:
        if self._pattern is None or not text:
            return text
        return self._redactor.mask(self._pattern.sub(lambda match: self.of(match.group(0)), text))

    def tree(self, node: Any) -> Any:
        """A copy of a JSON tree with every string (keys too) passed through `text`."""
        if isinstance(node, dict):
            return {self.text(str(key)): self.tree(value) for key, value in node.items()}
        if isinstance(node, list):
            return [self.tree(item) for item in node]
        return self.text(node) if isinstance(node, str) else node

    def values(self, values: provenance.Values) -> dict:
        """The values tree with every secret leaf, and every string holding a secret (a --set copy), fingerprinted."""
        return self.tree(values.redacted(mask=self.of))


def inputs_digest(*, key: bytes, chart_digest: str, values: dict, extra: Any = None) -> str:
    """Keyed digest of what defines a revision; `values` must be the complete values (secrets included)."""
    canonical = json.dumps([chart_digest, values, extra], sort_keys=True, separators=(",", ":"), default=str)
    return "hmac-sha256:" + hmac.new(key, canonical.encode("utf-8"), hashlib.sha256).hexdigest()[:32]

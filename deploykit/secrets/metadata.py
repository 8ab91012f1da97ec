"""What a sops file says about itself, read without decrypting it.

Owns: the file format of a secret file (YAML, JSON, dotenv, from its name as
sops decides it), whether a file is sops-encrypted, and its key groups and
recipients (age, PGP, cloud KMS, Vault) as listed in its `sops` metadata.
Error messages and `deploykit secrets keys` use this to say which keys would
open a file. Also which fields of the metadata a file cut short has lost, so
that a damaged file is reported as damaged rather than as plaintext (what
sops ciphertext looks like is ciphertexts.py's).

Must not: run sops or gpg, or read any value of the file (only the `sops`
metadata section is looked at; values are ciphertext anyway).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from deploykit import errors
from deploykit.frozen import frozen

FORMATS = ("yaml", "json", "dotenv")

# sops's names for master-key lists in its metadata, and how users know them.
KEY_KINDS: dict[str, str] = {
    "age": "age",
    "pgp": "PGP",
    "kms": "AWS KMS",
    "gcp_kms": "GCP KMS",
    "azure_kv": "Azure Key Vault",
    "hc_vault": "HashiCorp Vault transit",
    "hckms": "HuaweiCloud KMS",
}
# The field of each master key that names it.
_KEY_ID_FIELD = {
    "age": "recipient",
    "pgp": "fp",
    "kms": "arn",
    "gcp_kms": "resource_id",
    "azure_kv": "vault_url",
    "hc_vault": "vault_address",
    "hckms": "key_id",
}
# Fields sops always writes in its metadata: without them sops cannot decrypt the file.
REQUIRED_FIELDS = ("lastmodified", "mac", "version")


@frozen
class Recipient:
    """One master key a file is encrypted to: its kind (sops's name) and its identifier."""

    kind: str
    ident: str

    @property
    def label(self) -> str:
        return f"{KEY_KINDS.get(self.kind, self.kind)} {self.ident}"


@frozen
class SopsMetadata:
    """The `sops` section of an encrypted file: key groups and the sops version that wrote it."""

    key_groups: tuple[tuple[Recipient, ...], ...]
    version: str | None = None
    shamir_threshold: int | None = None

    @property
    def recipients(self) -> tuple[Recipient, ...]:
        return tuple(r for group in self.key_groups for r in group)

    def describe(self) -> str:
        """Key groups as lines for an error message, e.g. `group 1: age age1...`."""
        if not self.recipients:
            return "  (the file lists no master keys)"
        lines = []
        for number, group in enumerate(self.key_groups, start=1):
            for recipient in group:
                lines.append(f"  group {number}: {recipient.label}")
        return "\n".join(lines)


def file_format(path: Path | str) -> str:
    """`yaml`, `json` or `dotenv`, from the file name as sops decides it; else a SecretsError."""
    name = Path(path).name.lower()
    if name.endswith((".yaml", ".yml")):
        return "yaml"
    if name.endswith(".json"):
        return "json"
    if name.endswith(".env") or name == ".env":
        return "dotenv"
    raise errors.SecretsError(
        f"{path}: unsupported secret file format",
        hint="secret files must be YAML (.yaml, .yml), JSON (.json) or dotenv (.env)",
    )


def read(text: bytes, *, fmt: str) -> SopsMetadata | None:
    """The sops metadata of a file's contents, or None when the file is not sops-encrypted.

    A file that cannot be parsed at all is not encrypted by sops either; the
    caller decides whether that is an error.
    """
    if b"sops" not in text:  # cheap: most values files are plain
        return None
    section = _sops_section(text, fmt=fmt)
    if not isinstance(section, dict) or not ("mac" in section or "lastmodified" in section):
        return None
    return _parse_section(section)


def is_encrypted(text: bytes, *, fmt: str) -> bool:
    """True when the contents carry sops metadata."""
    return read(text, fmt=fmt) is not None


def missing_fields(text: bytes, *, fmt: str) -> tuple[str, ...] | None:
    """The REQUIRED_FIELDS a file's `sops` section lacks (empty when complete); None when it has no such section."""
    if b"sops" not in text:
        return None
    section = _sops_section(text, fmt=fmt)
    if section is None and text.rstrip().endswith(b"\nsops:"):  # cut right after the key
        return REQUIRED_FIELDS
    if not isinstance(section, dict):
        return None
    return tuple(name for name in REQUIRED_FIELDS if not section.get(name))


def _sops_section(text: bytes, *, fmt: str) -> Any:
    try:
        decoded = text.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if fmt == "dotenv":
        return _unflatten_dotenv(decoded)
    import yaml  # loaded when a secret file is read, not by every process that imports this module

    try:
        document = json.loads(decoded) if fmt == "json" else _first_yaml_mapping(decoded)
    except (ValueError, yaml.YAMLError):
        return None
    return document.get("sops") if isinstance(document, dict) else None


def _first_yaml_mapping(text: str) -> Any:
    import yaml

    # sops puts its metadata in every document of a multi-document file.
    for document in yaml.safe_load_all(text):
        if isinstance(document, dict):
            return document
    return None


_LIST = re.compile(r"^list_(\d+)$")
_MAP = re.compile(r"^map_(.+)$")


def _unflatten_dotenv(text: str) -> dict[str, Any] | None:
    """sops stores its metadata in dotenv files as `sops_age__list_0__map_recipient=...` lines."""
    flat: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.startswith("sops_"):
            flat[key[len("sops_") :]] = value
    if not flat:
        return None
    root: dict[str, Any] = {}
    for key, value in flat.items():
        _insert(root, key.split("__"), value)
    return _lists_from_maps(root)


def _insert(node: dict[str, Any], parts: list[str], value: str) -> None:
    head, rest = parts[0], parts[1:]
    match = _MAP.match(head)
    name = match.group(1) if match else head
    if not rest:
        node[name] = value
        return
    child = node.setdefault(name, {})
    if isinstance(child, dict):
        _insert(child, rest, value)


def _lists_from_maps(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {key: _lists_from_maps(value) for key, value in node.items()}
    indexes = [_LIST.match(key) for key in converted]
    if converted and all(indexes):
        return [converted[key] for key in sorted(converted, key=lambda k: int(_LIST.match(k).group(1)))]
    return converted


def _parse_section(section: dict[str, Any]) -> SopsMetadata:
    groups: list[tuple[Recipient, ...]] = []
    for group in section.get("key_groups") or []:
        if isinstance(group, dict):
            groups.append(_recipients_of(group))
    flat = _recipients_of(section)
    if flat:
        groups.insert(0, flat)
    threshold = section.get("shamir_threshold")
    version = section.get("version")
    return SopsMetadata(
        key_groups=tuple(groups),
        version=str(version) if version is not None else None,
        shamir_threshold=int(threshold) if str(threshold or "").isdigit() else None,
    )


def _recipients_of(group: dict[str, Any]) -> tuple[Recipient, ...]:
    found: list[Recipient] = []
    for kind, field in _KEY_ID_FIELD.items():
        entries = group.get(kind) or []
        if isinstance(entries, dict):
            entries = [entries]
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            ident = entry.get(field)
            if kind == "hc_vault" and entry.get("engine_path"):
                ident = f"{entry.get('vault_address')}/v1/{entry.get('engine_path')}/keys/{entry.get('key_name')}"
            if ident:
                found.append(Recipient(kind=kind, ident=str(ident).strip()))
    return tuple(found)

"""Kubernetes Secret objects: the values one holds, registered with the run's redactor.

Owns `values_of(secret)` (pure): every value of a v1 Secret as an application
sees it — `data` base64-decoded the way the API server decodes it (line
breaks allowed), `stringData` as written — and, for the registry-credential
types, the credentials inside the docker config: each registry's password,
token and `auth` (also decoded, `user:password`). `register(secret)` hands
them to the run's redactor; `deploykit track` calls it for the Secrets in
its manifests and for each cluster Secret a tracked pod references.

Must not: print, keep a value anywhere but in the redactor, or raise on any
input (a Secret that does not parse simply yields what could be read).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from deploykit.secrets import redaction

DOCKER_CONFIG_TYPES = {"kubernetes.io/dockerconfigjson": ".dockerconfigjson", "kubernetes.io/dockercfg": ".dockercfg"}
# Fields of a docker config registry entry that hold a credential (a username or an e-mail is not one).
_CREDENTIAL_FIELDS = ("password", "auth", "identitytoken", "registrytoken")
_WHITESPACE = re.compile(r"\s+")


def is_secret(obj: Mapping[str, Any]) -> bool:
    """True for a core v1 Secret object."""
    return obj.get("kind") == "Secret" and obj.get("apiVersion") == "v1"


def values_of(secret: Mapping[str, Any]) -> list[str]:
    """Every value the Secret holds, as the pods that use it see it, plus its docker-config credentials."""
    values: dict[str, str] = {}
    data = secret.get("data") if isinstance(secret.get("data"), Mapping) else {}
    string_data = secret.get("stringData") if isinstance(secret.get("stringData"), Mapping) else {}
    for key, value in data.items():
        if value is not None:
            values[key] = _decoded(value)
    for key, value in string_data.items():
        if value is not None:
            values[key] = str(value)  # the API server lets stringData win over data
    found = dict.fromkeys(values.values())
    config_key = DOCKER_CONFIG_TYPES.get(str(secret.get("type") or ""))
    if config_key in values:
        found.update(dict.fromkeys(_docker_credentials(values[config_key])))
    return [value for value in found if value]


def register(secret: Mapping[str, Any]) -> None:
    """Register every value of the Secret with the run's redactor (too-short values are skipped there)."""
    redaction.current().register_all(values_of(secret))


def _decoded(value: Any) -> str:
    """A `data` value as the API server decodes it; a value that is not base64 UTF-8 text, as written."""
    text = str(value)
    try:
        return base64.b64decode(_WHITESPACE.sub("", text), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return text


def _docker_credentials(config_text: str) -> Iterator[str]:
    try:
        config = json.loads(config_text)
    except ValueError:
        return
    # .dockerconfigjson nests registries under "auths"; the legacy .dockercfg is the map of registries itself.
    registries = config.get("auths", config) if isinstance(config, dict) else {}
    for entry in registries.values() if isinstance(registries, dict) else ():
        if not isinstance(entry, dict):
            continue
        for field in _CREDENTIAL_FIELDS:
            value = entry.get(field)
            if isinstance(value, str) and value:
                yield value
        auth = entry.get("auth")
        if isinstance(auth, str) and auth:
            decoded = _decoded(auth)
            if decoded != auth:
                yield decoded  # user:password
                yield decoded.partition(":")[2]

"""Before a pod's log lines are shown: the Secrets the pod references, read and handed to the caller for masking.

An application may log the values of the Secrets it reads (a password in a
connection error). track/ must not import secrets/ (they are siblings), so
the caller hands in `on_secret`, which registers a Secret's values with the
run's redactor (the CLI passes `secrets.kubesecrets.register`). The tracker
asks `LogSecrets.withheld(pod)` before it follows a container's logs or reads
its last lines, and shows them only when the answer is None: every Secret the
pod references has then been handed over, so the first line is already masked.

Must not print or keep a Secret: it only remembers which ones were handed over.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from deploykit import errors
from deploykit.track import pods

OnSecret = Callable[[Mapping[str, Any]], None]


class SecretReader(Protocol):
    def list(self, api_version: str, kind: str, *, namespace: str | None = None,
             field_selector: str | None = None) -> list[dict]: ...


class LogSecrets:
    """Which referenced Secrets were read and handed to `on_secret`; each one once per run."""

    def __init__(self, kube: SecretReader, on_secret: OnSecret) -> None:
        self._kube = kube
        self._on_secret = on_secret
        self._handed: set[tuple[str, str]] = set()

    def withheld(self, pod: Mapping[str, Any]) -> str | None:
        """None when the pod's log lines may be shown; otherwise why they may not (a Secret that cannot be read)."""
        namespace = (pod.get("metadata") or {}).get("namespace") or ""
        for name in pods.secret_names(pod):
            if (namespace, name) in self._handed:
                continue
            try:
                found = self._kube.list("v1", "Secret", namespace=namespace, field_selector=f"metadata.name={name}")
            except errors.KubeError as exc:
                return f"cannot read Secret {name} to mask its values: {exc.message}"
            for secret in found:
                self._on_secret(secret)
            if found:  # a missing Secret has no value to leak; it is looked up again if it appears
                self._handed.add((namespace, name))
        return None

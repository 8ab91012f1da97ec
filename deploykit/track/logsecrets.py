"""Before a pod's log lines are shown: the Secrets the pod references, read and handed to the caller for masking.

An application may log the values of the Secrets it reads (a password in a
connection error). track/ must not import secrets/ (they are siblings), so
the caller hands in `on_secret`, which registers a Secret's values with the
run's redactor (the CLI passes `secrets.kubesecrets.register`). The tracker
calls `hand_over(pod, ...)` before it follows a container's logs or reads
its last lines, and shows them only when the answer is None: every Secret the
pod references has then been handed over, so the first line is already masked.

Must not print or keep a Secret.
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


def hand_over(pod: Mapping[str, Any], *, kube: SecretReader, on_secret: OnSecret) -> str | None:
    """Read every Secret the pod references and hand it to `on_secret`.

    Returns None when the pod's log lines may be shown, otherwise why not (a Secret that cannot be read).
    Secrets are read afresh on each call, so a value rotated during a roll out is masked too; the tracker
    calls this once per container it starts following and once per log block of a failure.
    """
    namespace = (pod.get("metadata") or {}).get("namespace") or ""
    for name in pods.secret_names(pod):
        try:
            found = kube.list("v1", "Secret", namespace=namespace, field_selector=f"metadata.name={name}")
        except errors.KubeError as exc:
            return f"cannot read Secret {name} to mask its values: {exc.message}"
        for secret in found:  # a missing Secret has no value to leak
            on_secret(secret)
    return None

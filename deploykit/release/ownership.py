"""Which release an object belongs to: the label and annotations deploykit writes, and reading them back.

Every object a release applies carries `app.kubernetes.io/managed-by: deploykit`
and the annotations `deploykit.io/release-name` and
`deploykit.io/release-namespace`. An object that exists without them, or with
another release's, is not ours to change unless the user says `--adopt`.
Helm's own annotations (`meta.helm.sh/release-name`) are recognised so that
the adopt path can name the Helm release that owns an object.

Must not: talk to the cluster.
"""

from __future__ import annotations

import copy
from typing import Any, Mapping

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "deploykit"
RELEASE_NAME = "deploykit.io/release-name"
RELEASE_NAMESPACE = "deploykit.io/release-namespace"
HELM_RELEASE_NAME = "meta.helm.sh/release-name"
HELM_RELEASE_NAMESPACE = "meta.helm.sh/release-namespace"
RESOURCE_POLICY = ("deploykit.io/resource-policy", "helm.sh/resource-policy")
REPLACE = "deploykit.io/replace"
REPLACE_ON_IMMUTABLE = "on-immutable-change"


def stamped(obj: Mapping[str, Any], *, release: str, namespace: str) -> dict[str, Any]:
    """A copy of `obj` carrying the release's ownership label and annotations."""
    result = copy.deepcopy(dict(obj))
    metadata = result.setdefault("metadata", {})
    metadata.setdefault("labels", {})
    metadata["labels"] = {**(metadata.get("labels") or {}), MANAGED_BY_LABEL: MANAGED_BY}
    metadata["annotations"] = {
        **(metadata.get("annotations") or {}), RELEASE_NAME: release, RELEASE_NAMESPACE: namespace,
    }
    return result


def owner(live: Mapping[str, Any]) -> str | None:
    """`deploykit release NS/NAME`, `Helm release NS/NAME`, or None when no release claims the object."""
    annotations = (live.get("metadata") or {}).get("annotations") or {}
    if annotations.get(RELEASE_NAME):
        return f"deploykit release {annotations.get(RELEASE_NAMESPACE, '?')}/{annotations[RELEASE_NAME]}"
    if annotations.get(HELM_RELEASE_NAME):
        return f"Helm release {annotations.get(HELM_RELEASE_NAMESPACE, '?')}/{annotations[HELM_RELEASE_NAME]}"
    return None


def takeover_hint(live: Mapping[str, Any]) -> str:
    """What the user can do about an object another release owns: for Helm's, adopt the whole Helm release."""
    annotations = (live.get("metadata") or {}).get("annotations") or {}
    if annotations.get(HELM_RELEASE_NAME) and not annotations.get(RELEASE_NAME):
        name, namespace = annotations[HELM_RELEASE_NAME], annotations.get(HELM_RELEASE_NAMESPACE, "?")
        return (f"owned by Helm release {name}; run `deploykit adopt helm {name} -n {namespace}`, "
                "or pass --adopt on the upgrade of that release name")
    return "pass --adopt to take it over"


def belongs_to(live: Mapping[str, Any], *, release: str, namespace: str) -> bool:
    annotations = (live.get("metadata") or {}).get("annotations") or {}
    return annotations.get(RELEASE_NAME) == release and annotations.get(RELEASE_NAMESPACE) == namespace


def keeps(obj: Mapping[str, Any]) -> bool:
    """True when the object asks to survive pruning and uninstall (`resource-policy: keep`)."""
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    return any(str(annotations.get(key, "")).strip() == "keep" for key in RESOURCE_POLICY)


def replaces_on_immutable(obj: Mapping[str, Any]) -> bool:
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    return str(annotations.get(REPLACE, "")).strip() == REPLACE_ON_IMMUTABLE


ENVIRONMENT_URL = "deploykit.io/environment-url"


def environment_url(objects: list[Mapping[str, Any]]) -> str:
    """Where the release can be reached: an object's `deploykit.io/environment-url` annotation, else the first
    Ingress host (https when the Ingress has TLS for it); "" when the chart exposes none."""
    for obj in objects:
        annotated = ((obj.get("metadata") or {}).get("annotations") or {}).get(ENVIRONMENT_URL)
        if annotated:
            return str(annotated)
    for obj in objects:
        if obj.get("kind") != "Ingress":
            continue
        spec = obj.get("spec") or {}
        tls_hosts = {host for entry in spec.get("tls") or [] for host in entry.get("hosts") or []}
        for rule in spec.get("rules") or []:
            if rule.get("host"):
                return f"{'https' if rule['host'] in tls_hosts else 'http'}://{rule['host']}/"
    return ""

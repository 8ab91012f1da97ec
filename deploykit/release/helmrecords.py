"""Helm's release records, read: the `sh.helm.release.v1.<name>.v<N>` Secrets Helm 3 and 4 keep per revision.

Owns finding a Helm release's records in a namespace (labels `owner=helm`,
`name`, `status`, `version`; type `helm.sh/release.v1`), decoding one
(`data.release`: base64 of gzip of Helm's release JSON, on top of the
Secret's own base64), and turning the decoded release into what a deploykit
record keeps: the chart's files as Helm stored them (Chart.yaml from its
metadata, values.yaml, values.schema.json, templates/, other files; Helm does
not store subcharts), the user-supplied values and the rendered objects of
its manifest (hooks are stored apart by Helm and are not among them).

Must not: write anything, or put the content of a record (which holds
values and Secrets in the clear) in a message.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import gzip
import hashlib
import json
import zlib
from typing import Any

import yaml

from deploykit import errors
from deploykit.frozen import frozen
from deploykit.kube.client import Kube

SECRET_TYPE = "helm.sh/release.v1"
OWNER = "helm"
DEPLOYED = "deployed"
# The status of the revision an adoption adds: Helm refuses to upgrade or roll back a release whose last revision is
# pending ("another operation (install/upgrade/rollback) is in progress"), and uninstalls only its (empty) manifest.
PENDING = "pending-upgrade"
MAX_RELEASE_BYTES = 64 * 1024 * 1024
# Written on Helm's records by an adoption, so that `kubectl get secret --show-labels` tells who took over.
ADOPTED_LABEL = "deploykit.io/adopted"
ADOPTED_BY = "deploykit.io/adopted-by"


def record_name(release: str, revision: int) -> str:
    """`sh.helm.release.v1.<release>.v<revision>`: the Secret Helm keeps for one revision."""
    return f"sh.helm.release.v1.{release}.v{revision}"


@frozen
class HelmRevision:
    """One of Helm's records, as its labels describe it (payload not decoded)."""

    release: str
    namespace: str
    revision: int
    status: str
    secret: dict = dataclasses.field(repr=False)

    @property
    def label(self) -> str:
        return f"Helm release {self.release} revision {self.revision} (Secret {record_name(self.release, self.revision)})"


def history(kube: Kube, *, release: str, namespace: str) -> list[HelmRevision]:
    """Helm's revisions of `release` in `namespace`, oldest first; [] when Helm has no such release there."""
    found = []
    for secret in kube.list("v1", "Secret", namespace=namespace, label_selector=f"owner={OWNER},name={release}"):
        labels = (secret.get("metadata") or {}).get("labels") or {}
        if secret.get("type") != SECRET_TYPE:
            continue
        try:
            revision = int(labels.get("version", ""))
        except ValueError:
            continue
        found.append(HelmRevision(release, namespace, revision, str(labels.get("status", "")), secret))
    return sorted(found, key=lambda item: item.revision)


def exists(kube: Kube, *, release: str, namespace: str) -> bool:
    """True when Helm keeps records of `release` in `namespace` (metadata only: records can be large)."""
    return bool(kube.list_metadata("v1", "Secret", namespace=namespace, label_selector=f"owner={OWNER},name={release}"))


def decode(revision: HelmRevision) -> dict[str, Any]:
    """Helm's release JSON of one record; RecordError naming the Secret when it is not one Helm wrote."""
    text = (revision.secret.get("data") or {}).get("release", "")
    try:
        zipped = base64.b64decode(base64.b64decode(text, validate=True), validate=True)
        payload = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(zipped, MAX_RELEASE_BYTES + 1)
    except (binascii.Error, ValueError, zlib.error) as exc:
        raise _unreadable(revision, "its data.release is not base64 of gzip data") from exc
    if len(payload) > MAX_RELEASE_BYTES:
        raise _unreadable(revision, f"it inflates beyond {MAX_RELEASE_BYTES // (1024 * 1024)} MiB")
    try:
        release = json.loads(payload)
    except ValueError as exc:
        raise _unreadable(revision, "its payload is not JSON") from exc
    if not isinstance(release, dict) or not isinstance(release.get("chart"), dict):
        raise _unreadable(revision, "its payload is not a Helm release (no chart)")
    return release


def _unreadable(revision: HelmRevision, what: str) -> errors.RecordError:
    return errors.RecordError(f"{revision.label} cannot be read: {what}",
                              hint="it was not written by Helm 3 or 4, or was changed by hand; `helm history` "
                              "shows whether Helm can still read it")


def tombstone(deployed: dict[str, Any], *, revision: int, now: str, description: str) -> dict[str, Any]:
    """The Secret of a Helm revision that hands the release over: pending, no manifest, the deployed one's chart.

    Helm then refuses `helm upgrade` / `helm rollback` (another operation in progress), and `helm uninstall`
    deletes the objects of this revision's manifest only: none. Its history lists it with `description`.
    """
    release = {
        "name": deployed.get("name"), "namespace": deployed.get("namespace"), "version": revision,
        "chart": deployed["chart"], "config": {}, "manifest": "", "hooks": [],
        "info": {"first_deployed": (deployed.get("info") or {}).get("first_deployed") or now, "last_deployed": now,
                 "deleted": "", "description": description, "status": PENDING},
    }
    payload = base64.b64encode(gzip.compress(json.dumps(release).encode(), mtime=0))
    name = str(deployed.get("name"))
    return {
        "apiVersion": "v1", "kind": "Secret", "type": SECRET_TYPE,
        "metadata": {"name": record_name(name, revision), "namespace": deployed.get("namespace"),
                     "labels": {"owner": OWNER, "name": name, "status": PENDING, "version": str(revision),
                                ADOPTED_LABEL: "true"},
                     "annotations": {ADOPTED_BY: description}},
        "data": {"release": base64.b64encode(payload).decode("ascii")},
    }


def chart_files(release: dict[str, Any]) -> dict[str, bytes]:
    """The chart's files as Helm's record holds them (no subcharts: Helm does not store them)."""
    chart = release["chart"]
    files: dict[str, bytes] = {}
    metadata = chart.get("metadata") or {}
    files["Chart.yaml"] = yaml.safe_dump(metadata, sort_keys=False).encode()
    files["values.yaml"] = yaml.safe_dump(chart.get("values") or {}, sort_keys=False).encode()
    if chart.get("schema"):
        files["values.schema.json"] = _bytes(chart["schema"])
    for entry in (chart.get("templates") or []) + (chart.get("files") or []):
        if isinstance(entry, dict) and entry.get("name"):
            files[str(entry["name"])] = _bytes(entry.get("data") or "")
    return files


def _bytes(text: Any) -> bytes:
    """A []byte of Helm's JSON (base64), as bytes."""
    try:
        return base64.b64decode(str(text), validate=True)
    except (binascii.Error, ValueError):
        return str(text).encode()


def chart_digest(files: dict[str, bytes]) -> str:
    """`sha256:<hex>` over the files, by name: the same chart content gives the same digest."""
    hashed = hashlib.sha256()
    for name in sorted(files):
        hashed.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return "sha256:" + hashed.hexdigest()


def manifest_objects(release: dict[str, Any]) -> list[dict[str, Any]]:
    """The objects of the release's manifest, in Helm's order (hooks are apart in Helm's record)."""
    try:
        documents = list(yaml.safe_load_all(release.get("manifest") or ""))
    except yaml.YAMLError as exc:
        raise errors.RecordError(f"Helm release {release.get('name')} revision {release.get('version')}: its manifest "
                                 "is not YAML", hint="`helm get manifest` shows it") from exc
    return [doc for doc in documents if isinstance(doc, dict) and doc.get("kind")]



def crd_objects(release: dict[str, Any]) -> list[dict[str, Any]]:
    """The CRDs of the chart's crds/ folder, which Helm installs outside its manifest (its record keeps them as files)."""
    found: list[dict[str, Any]] = []
    for entry in release["chart"].get("files") or []:
        name = str(entry.get("name") or "") if isinstance(entry, dict) else ""
        if not (name.startswith("crds/") and name.endswith((".yaml", ".yml", ".json"))):
            continue
        try:
            documents = list(yaml.safe_load_all(_bytes(entry.get("data") or "")))
        except yaml.YAMLError:
            continue  # Helm could not have installed it: nothing of it to adopt
        found += [doc for doc in documents if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition"]
    return found

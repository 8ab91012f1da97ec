"""Reading releases back: history, status, list, and a revision's values, manifest or notes.

Everything returned is plain data from the records, secret-free: values and
manifests hold fingerprints where a secret was, shown as `<redacted>`, and
Secret objects' data is masked whole.

Must not: write to the cluster or decrypt anything.
"""

from __future__ import annotations

from typing import Any

import yaml

from deploykit import errors
from deploykit.kube.client import Kube
from deploykit.release import records, revisions
from deploykit.secrets import fingerprints
from deploykit.release.storage import RecordStore

MASK = "<redacted>"


def _store(kube: Kube, namespace: str) -> RecordStore:
    return RecordStore(kube, namespace)


def history(kube: Kube, *, release: str, namespace: str) -> list[dict[str, Any]]:
    summaries = _store(kube, namespace).history(release)
    if not summaries:
        raise errors.UsageError(f"release {release} not found in namespace {namespace}",
                                hint="check the name and -n; `deploykit list -A` lists releases")
    return [{"revision": s.revision, "updated": s.updated, "status": str(s.status), "chart": s.chart,
             "appVersion": s.app_version, "description": s.description} for s in summaries]


def status(kube: Kube, *, release: str, namespace: str) -> dict[str, Any]:
    store = _store(kube, namespace)
    summaries = store.history(release)
    if not summaries:
        raise errors.UsageError(f"release {release} not found in namespace {namespace}",
                                hint="check the name and -n; `deploykit list -A` lists releases")
    record = store.load(summaries[-1])
    return {
        "name": record.name, "namespace": record.namespace, "revision": record.revision, "status": str(record.status),
        "updated": record.updated, "chart": f"{record.chart.name}-{record.chart.version}",
        "appVersion": record.chart.app_version, "description": record.description,
        "deployedBy": str(record.deployer) if record.deployer else "", "failure": record.failure,
        "objects": [f"{o.kind}/{o.name}" for o in record.objects],
        "crds": [o.name for o in record.crds],  # of crds/: applied, shared, not the release's (never deleted)
        "timings": dict(record.timings),
        "notes": _unfingerprinted(record.notes or ""),
    }


def list_releases(kube: Kube, *, namespace: str, all_namespaces: bool, uninstalled: bool = False) -> list[dict[str, Any]]:
    """The latest revision of each release; uninstalled ones (kept with --keep-history) only when asked, as Helm."""
    return [{"name": s.name, "namespace": s.namespace, "revision": s.revision, "updated": s.updated,
             "status": str(s.status), "chart": s.chart, "appVersion": s.app_version}
            for s in _store(kube, namespace).list_releases(all_namespaces=all_namespaces)
            if uninstalled or s.status is not records.Status.UNINSTALLED]


def revision(kube: Kube, *, release: str, namespace: str, number: int | None) -> records.Record:
    store = _store(kube, namespace)
    if number is not None:
        return store.get(release, number)
    record = store.latest(release)
    if record is None:
        raise errors.UsageError(f"release {release} not found in namespace {namespace}",
                                hint="check the name and -n; `deploykit list -A` lists releases")
    return record


def values_of(record: records.Record) -> dict:
    return _masked_tree(record.values)


def manifest_of(record: records.Record) -> str:
    documents = []
    for doc in revisions.manifest_documents(record):
        if doc.get("kind") == "Secret":
            for field in ("data", "stringData"):
                if isinstance(doc.get(field), dict):
                    doc[field] = {key: MASK for key in doc[field]}
        documents.append(_masked_tree(doc))
    return yaml.safe_dump_all(documents, sort_keys=False) if documents else ""


def notes_of(record: records.Record) -> str:
    return _unfingerprinted(record.notes or "")


def _unfingerprinted(text: str) -> str:
    return fingerprints.PATTERN.sub(MASK, text)


def _masked_tree(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _masked_tree(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_masked_tree(item) for item in node]
    if isinstance(node, str):
        return _unfingerprinted(node)
    return node

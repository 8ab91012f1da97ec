"""The CRDs of the charts' crds/ folders: applied before the release's objects, shared, never deleted.

Owns planning them (`plan`: create, update or unchanged per CRD, from a
server-side dry run against the live one; a change that drops a version
objects are still stored in is refused) and applying them (`apply`:
server-side apply, field manager deploykit, then wait until Established).

They are not the release's objects, as in Helm: not ownership-stamped, so
any number of releases (of one chart, or of charts sharing a CRD) apply the
same CRD without an ownership conflict, and never pruned or deleted by
uninstall, rollback or the cleanup of a failed install: deleting a CRD
deletes every custom resource of its kind, cluster-wide. Unlike Helm (and as
nelm), a changed CRD is updated. CRDs rendered from templates/ stay ordinary
release objects (planning.py, applying.py).

Records written before this rule list crds/ CRDs among the release's
objects, stamped; `recorded_as_objects` names them, so that an upgrade does
not prune and an uninstall does not delete them either.

Must not: delete anything, or stamp a CRD with a release's ownership.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from deploykit import errors
from deploykit.kube.client import Kube
from deploykit.release import applying, diffing, planning, records
from deploykit.release.planning import Desired
from deploykit.release.plans import CREATE, UNCHANGED, UPDATE, Operation

# A file of a chart's crds/ folder, the root chart's or a subchart's, among a record's chart files.
CRD_FILE = re.compile(r"(^|/)crds/[^/]+\.(ya?ml|json)$")


def dropped_stored_versions(live: Mapping[str, Any], wanted: Mapping[str, Any]) -> list[str]:
    """The versions objects are still stored in (the live CRD's status.storedVersions) that `wanted` no longer lists."""
    stored = (live.get("status") or {}).get("storedVersions") or []
    kept = {str(v.get("name")) for v in (wanted.get("spec") or {}).get("versions") or [] if isinstance(v, Mapping)}
    return [str(version) for version in stored if str(version) not in kept]


def plan(kube: Kube, crds: Sequence[Desired], *, digest_key: bytes) -> list[Operation]:
    """One operation per crds/ CRD (create, update or unchanged); PlanError naming every CRD that cannot be applied."""
    operations, problems = [], []
    for item in crds:
        ref = item.ref
        base = dict(api_version=ref.api_version, kind=ref.kind, namespace=None, name=ref.name,
                    template=item.template, digest=planning.digest(item.obj, key=digest_key))
        where = f"{ref.kind} {ref.name} ({item.template or 'crds/'})"
        try:
            live = kube.get(ref)
            if live is None:
                operations.append(Operation(CREATE, **base))
                continue
            dropped = dropped_stored_versions(live, item.obj)
            if dropped:
                problems.append(
                    f"{where} drops version(s) {', '.join(dropped)}, which objects are still stored in "
                    f"(status.storedVersions: {', '.join(map(str, live['status']['storedVersions']))}); removing it "
                    "would make them unreadable")
                continue
            dry = kube.apply(item.obj, dry_run=True)
        except errors.KubeError as exc:
            problems.append(f"{where}: the API server refused it: {exc.message}")
            continue
        changes = tuple(diffing.changes(live, dry))
        operations.append(Operation(UPDATE if changes else UNCHANGED, changes=changes,
                                    live_version=(live.get("metadata") or {}).get("resourceVersion"), **base))
    if problems:
        raise errors.PlanError(
            "the plan found CRDs of crds/ that cannot be applied; nothing was changed:\n  " + "\n  ".join(problems),
            hint="keep every stored version in the CRD (`served: false` stops serving it); migrate the stored objects "
            "and drop the version from status.storedVersions before removing it",
        )
    return operations


def apply(kube: Kube, operations: Sequence[Operation], crds: Mapping[tuple, Desired]) -> int:
    """Apply the planned creates and updates (server-side), wait until each is Established; the number of writes."""
    writing = [op for op in operations if op.action in (CREATE, UPDATE)]
    for op in writing:
        kube.apply(crds[op.key].obj)
    for op in writing:
        applying.wait_established(kube, op.name)
    return len(writing)


def recorded_as_objects(record: records.Record) -> frozenset[str]:
    """The crds/ CRDs a record of an older deploykit lists among the release's objects (it stamped them as the
    release's), by name: read from the chart files it keeps. Empty for records that list them apart (`crds`)."""
    recorded = {o.name for o in record.objects if o.kind == "CustomResourceDefinition"}
    if record.crds or not recorded:
        return frozenset()
    texts = [data.decode("utf-8", "replace") for path, data in record.chart_files.items() if CRD_FILE.search(path)]
    if any(path.endswith(".tgz") for path in record.chart_files):
        texts += _packed_crd_texts(record.chart_files)
    names = set()
    for text in texts:
        try:
            documents = list(yaml.safe_load_all(text))
        except yaml.YAMLError:
            continue
        names.update(str((doc.get("metadata") or {}).get("name")) for doc in documents
                     if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition")
    return frozenset(names & recorded)


def _packed_crd_texts(files: Mapping[str, bytes]) -> list[str]:
    """The crds/ files of a chart kept as an archive (or with archived subcharts), through the chart loader."""
    from deploykit.charts import loading, packing

    try:
        with tempfile.TemporaryDirectory(prefix="deploykit-crds-") as scratch:
            chart = loading.load_chart(str(packing.write_files(dict(files), Path(scratch) / "chart")))
    except errors.DeploykitError:
        return []  # a chart that no longer loads: its CRDs cannot be told apart, as before
    texts, charts = [], [chart]
    while charts:
        current = charts.pop()
        charts += [sub.chart for sub in current.subcharts]
        texts += list(current.crds.values())
    return texts

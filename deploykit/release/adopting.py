"""The adopt action: take a release Helm installed under deploykit's management, without redeploying it.

    lock -> read Helm's records (latest deployed revision) -> read every object of its manifest (nothing is
    written if one belongs to another deploykit release) -> per object: ownership metadata to deploykit's,
    field ownership from Helm's manager to deploykit's (resourceVersion-guarded, re-read and retried on
    conflict) -> record revision 1 (adopted from Helm release X revision N) -> mark Helm's records

The adopted revision keeps Helm's chart files, user-supplied values and
rendered objects as Helm's record holds them (in the clear, as Helm keeps
them); it is reproduced from that manifest, never re-rendered (see
revisions.reproduce). The CRDs of the chart's crds/ (Helm installs them
outside its manifest) are listed in the record and left as they are: as
every crds/ CRD, shared and never deleted (sharedcrds.py). Objects are
never deleted or recreated. Helm's
records stay where they are, labelled `deploykit.io/adopted=true`, and one
Helm revision is added (pending, empty manifest: helmrecords.tombstone) so
that `helm upgrade` refuses and `helm uninstall` deletes no object.

Must not: print (it reports through `say`) or parse flags.
"""

from __future__ import annotations

import dataclasses
import json
import time
from typing import Any

from deploykit import errors
from deploykit.kube.client import Kube
from deploykit.kube.resources import ObjectRef
from deploykit.release import deployers, fieldowners, helmrecords, ownership, plans, records, upgrading
from deploykit.release.results import Say
from deploykit.release.storage import RecordStore

ATTEMPTS = 5


@dataclasses.dataclass
class AdoptResult:
    release: str
    namespace: str
    helm_revision: int
    revision: int = 1
    objects: list[str] = dataclasses.field(default_factory=list)
    missing: list[str] = dataclasses.field(default_factory=list)
    crds: list[str] = dataclasses.field(default_factory=list)  # of crds/: recorded, shared, not the release's

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def owned_by_helm(kube: Kube, *, release: str, namespace: str) -> bool:
    """True when Helm has records of `release` in `namespace` and deploykit none: `upgrade --adopt` adopts it first."""
    if not RecordStore(kube, namespace).history(release):
        return helmrecords.exists(kube, release=release, namespace=namespace)
    return False


def adopt_helm(kube: Kube, *, release: str, namespace: str, lock_timeout: float, say: Say) -> AdoptResult:
    """Import Helm's deployed revision of `release` as deploykit revision 1 (see the module docstring)."""
    started = time.monotonic()
    store = RecordStore(kube, namespace)
    with upgrading.hold_lock(kube, store, release, timeout=lock_timeout, say=say):
        _refuse_if_adopted(store, release, namespace)
        found = read_helm(kube, release=release, namespace=namespace)
        source = found.source
        result = AdoptResult(release=release, namespace=namespace, helm_revision=source.revision,
                             crds=[str(ObjectRef.of(crd)) for crd in found.crds])
        say(f"adopting Helm release {namespace}/{release} revision {source.revision}: {len(found.objects)} object(s)")
        for ref, live in found.lives:
            if live is None:
                say(f"warning: {ref} is in Helm's manifest but not in the cluster; the next upgrade creates it")
                result.missing.append(str(ref))
                continue
            _take_over(kube, ref, live, release=release, namespace=namespace)
            result.objects.append(str(ref))
        if found.crds:
            say(f"the CRDs of the chart's crds/ stay shared, not the release's (never deleted): {', '.join(result.crds)}")
        store.create(_record(kube, found.helm, found.objects, source=source, crds=found.crds))
        _hand_over(kube, found.helm, release=release, namespace=namespace)
    say(f"release {namespace}/{release} revision 1 adopted from Helm release {release} revision {source.revision} "
        f"({time.monotonic() - started:.1f}s); Helm's records are kept, labelled {helmrecords.ADOPTED_LABEL}=true, "
        "and a pending Helm revision stops `helm upgrade` (docs/releases.md: Adopting a Helm release)")
    return result


@dataclasses.dataclass
class HelmRelease:
    """What adopting a Helm release takes over: its deployed revision, the objects of its manifest with the live
    ones (None: not in the cluster), and the CRDs of its chart's crds/ found in the cluster (recorded, not owned)."""

    source: helmrecords.HelmRevision
    helm: dict[str, Any]
    objects: list[dict[str, Any]]
    lives: list[tuple[ObjectRef, dict | None]]
    crds: list[dict[str, Any]]


def read_helm(kube: Kube, *, release: str, namespace: str) -> HelmRelease:
    """Read (never write) the Helm release to adopt; UsageError if Helm has no deployed revision of it or one of
    its objects belongs to another deploykit release."""
    source = _deployed(kube, release, namespace)
    helm = helmrecords.decode(source)
    objects = [_namespaced(kube, obj, namespace) for obj in helmrecords.manifest_objects(helm)]
    lives = [(ObjectRef.of(obj), kube.get(ObjectRef.of(obj))) for obj in objects]
    _refuse_foreign(lives, release=release, namespace=namespace)
    known = {ref for ref, _ in lives}
    crds = [crd for crd in helmrecords.crd_objects(helm)
            if ObjectRef.of(crd) not in known and kube.get(ObjectRef.of(crd)) is not None]
    return HelmRelease(source=source, helm=helm, objects=objects, lives=lives, crds=crds)


def preview(kube: Kube, *, release: str, namespace: str) -> plans.Adoption:
    """What `upgrade --adopt` would adopt first, for the plan: nothing is written."""
    found = read_helm(kube, release=release, namespace=namespace)
    return plans.Adoption(
        system="helm", release=release, namespace=namespace, revision=found.source.revision,
        objects=tuple(str(ref) for ref, live in found.lives if live is not None),
        missing=tuple(str(ref) for ref, live in found.lives if live is None),
        crds=tuple(str(ObjectRef.of(crd)) for crd in found.crds),
    )


def _refuse_if_adopted(store: RecordStore, release: str, namespace: str) -> None:
    history = store.history(release)
    if history:
        raise errors.UsageError(
            f"release {release} in namespace {namespace} is already a deploykit release (revision "
            f"{history[-1].revision}{', ' + history[0].description if history[0].description else ''}); "
            "nothing was adopted",
            hint=f"`deploykit history {release} -n {namespace}` shows it; upgrade it with `deploykit upgrade`",
        )


def _deployed(kube: Kube, release: str, namespace: str) -> helmrecords.HelmRevision:
    revisions = helmrecords.history(kube, release=release, namespace=namespace)
    if not revisions:
        raise errors.UsageError(f"Helm has no release {release} in namespace {namespace} (no Secret "
                                f"{helmrecords.record_name(release, 1)} or later)",
                                hint="check the name and -n; `helm list -A` lists Helm's releases")
    deployed = [r for r in revisions if r.status == helmrecords.DEPLOYED]
    if not deployed:
        seen = ", ".join(f"{r.revision} {r.status or '?'}" for r in revisions)
        raise errors.UsageError(f"Helm release {release} in namespace {namespace} has no deployed revision "
                                f"(revisions: {seen}); nothing was adopted",
                                hint="fix it with Helm first (`helm rollback` to a good revision), then adopt it")
    return deployed[-1]


def _namespaced(kube: Kube, obj: dict[str, Any], namespace: str) -> dict[str, Any]:
    """The object with the release namespace filled in where Helm would (namespaced kinds without one)."""
    metadata = obj.setdefault("metadata", {})
    if not metadata.get("namespace") and kube.resource_for(str(obj.get("apiVersion")), str(obj.get("kind"))).namespaced:
        metadata["namespace"] = namespace
    return obj


def _refuse_foreign(lives: list[tuple[ObjectRef, dict | None]], *, release: str, namespace: str) -> None:
    foreign = [f"{ref} belongs to {ownership.owner(live)}" for ref, live in lives
               if live is not None and (ownership.owner(live) or "").startswith("deploykit release")
               and not ownership.belongs_to(live, release=release, namespace=namespace)]
    if foreign:
        raise errors.UsageError("cannot adopt: " + "; ".join(foreign) + "; nothing was changed",
                                hint="an object belongs to one release only: remove it from one of the charts")


def _take_over(kube: Kube, ref: ObjectRef, live: dict[str, Any], *, release: str, namespace: str) -> None:
    """Ownership metadata, then field ownership, to deploykit; re-read and redone while the object keeps changing."""
    helm = fieldowners.helm_managers(live)  # read before the Helm annotation (their mark) is removed
    for _ in range(ATTEMPTS):
        try:
            current = _stamp(kube, ref, live, release=release, namespace=namespace)
            entries = fieldowners.moved(list(current["metadata"].get("managedFields") or []), sources=helm,
                                        api_version=str(current.get("apiVersion")), now=records.now())
            if entries is not None:
                kube.json_patch(ref, fieldowners.patch(entries, resource_version=current["metadata"]["resourceVersion"]))
            return
        except errors.ApiConflictError:
            live = kube.get(ref)
            if live is None:
                return
    raise errors.ReleaseError(f"{ref} changed {ATTEMPTS} times while its ownership moved to deploykit",
                              hint="something keeps writing it; run `deploykit adopt helm` again: it continues")


def _stamp(kube: Kube, ref: ObjectRef, live: dict[str, Any], *, release: str, namespace: str) -> dict[str, Any]:
    """Helm's ownership label and annotations replaced by deploykit's (one guarded JSON patch); the object after."""
    metadata = live.get("metadata") or {}
    labels = {**(metadata.get("labels") or {}), ownership.MANAGED_BY_LABEL: ownership.MANAGED_BY}
    annotations = {key: value for key, value in (metadata.get("annotations") or {}).items()
                   if key not in (ownership.HELM_RELEASE_NAME, ownership.HELM_RELEASE_NAMESPACE)}
    annotations.update({ownership.RELEASE_NAME: release, ownership.RELEASE_NAMESPACE: namespace})
    if labels == metadata.get("labels") and annotations == metadata.get("annotations"):
        return live
    return kube.json_patch(ref, [
        {"op": "add", "path": "/metadata/labels", "value": labels},
        {"op": "add", "path": "/metadata/annotations", "value": annotations},
        {"op": "replace", "path": "/metadata/resourceVersion", "value": metadata.get("resourceVersion")},
    ])


def _record(kube: Kube, helm: dict[str, Any], objects: list[dict[str, Any]], *,
            source: helmrecords.HelmRevision, crds: list[dict[str, Any]]) -> records.Record:
    now = records.now()
    files = helmrecords.chart_files(helm)
    metadata = helm["chart"].get("metadata") or {}
    stamped = [ownership.stamped(obj, release=source.release, namespace=source.namespace) for obj in objects]
    adopted = records.AdoptedFrom(system="helm", release=source.release, namespace=source.namespace,
                                  revision=source.revision)
    return records.Record(
        name=source.release, namespace=source.namespace, revision=1, status=records.Status.DEPLOYED,
        created=now, updated=now, description=f"adopted from {adopted}",
        chart=records.ChartIdentity(str(metadata.get("name", "")), str(metadata.get("version", "")),
                                    str(metadata.get("appVersion") or ""), helmrecords.chart_digest(files)),
        chart_files=files, values=helm.get("config") or {},
        manifest=json.dumps(stamped, separators=(",", ":"), ensure_ascii=False, default=str),
        objects=tuple(records.AppliedObject(ref.api_version, ref.kind, ref.namespace, ref.name)
                      for ref in map(ObjectRef.of, stamped)),
        kube_version=upgrading.target_version(kube), deployer=deployers.current(), adopted_from=adopted,
        crds=tuple(records.AppliedObject(ref.api_version, ref.kind, None, ref.name) for ref in map(ObjectRef.of, crds)),
    )


def _hand_over(kube: Kube, helm: dict[str, Any], *, release: str, namespace: str) -> None:
    """Label Helm's records as adopted (payloads untouched) and add the pending revision that stops Helm."""
    revisions = helmrecords.history(kube, release=release, namespace=namespace)
    for revision in revisions:
        kube.merge_patch(ObjectRef("v1", "Secret", namespace, helmrecords.record_name(release, revision.revision)), {
            "metadata": {"labels": {helmrecords.ADOPTED_LABEL: "true"},
                         "annotations": {helmrecords.ADOPTED_BY: f"deploykit release {namespace}/{release}"}},
        })
    kube.create(helmrecords.tombstone(
        helm, revision=revisions[-1].revision + 1, now=records.now(),
        description=f"adopted by deploykit: use `deploykit upgrade|rollback|uninstall {release} -n {namespace}`",
    ))

"""The uninstall action: pre-delete hooks, delete the release's objects, post-delete hooks, records.

Objects are deleted in reverse apply order; those annotated
`resource-policy: keep` stay (and are named in the result). The CRDs of
crds/ are not the release's objects (sharedcrds.py): never deleted. The records are
deleted too, or with `keep_history` the latest is marked uninstalled so that
`history` still shows the release.

Cancelling (SIGTERM, SIGINT: deploykit.release.cancelling) cannot be undone
by a rollback, since deleted objects are gone: an uninstall is made
resumable instead, as Helm's is. Before its first write the latest revision
is recorded `uninstalling`; a cancel stops it at the next safe point (a hook's
tracking, after each deleted object), the record then says how far it got,
and `CancelledError` exits 128 + the signal. Running `uninstall` again (also
after a SIGKILL, once the lock's lease expired) finishes it: objects already
gone are skipped.

Must not: print or parse flags.
"""

from __future__ import annotations

import dataclasses

from deploykit import errors
from deploykit.frozen import frozen
from deploykit.kube.client import Kube
from deploykit.kube.resources import ObjectRef
from deploykit.release import applying, cancelling, deploying, hooks, killpoints, ownership, revisions, sharedcrds, upgrading
from deploykit.release.records import Record, Status
from deploykit.release.results import UNINSTALLED, DeployResult, Say, Timer
from deploykit.release.storage import RecordStore


@frozen
class UninstallOptions:
    release: str
    namespace: str
    keep_history: bool = False
    run_hooks: bool = True
    lock_timeout: float = 60.0


def uninstall(kube: Kube, options: UninstallOptions, *, track: deploying.Track, say: Say) -> DeployResult:
    name, namespace = options.release, options.namespace
    timer = Timer()
    store = RecordStore(kube, namespace)
    result = DeployResult(release=name, namespace=namespace, action="uninstall")
    with upgrading.hold_lock(kube, store, name, timeout=options.lock_timeout, say=say):
        history = store.history(name)
        if not history:
            raise errors.UsageError(f"release {name} not found in namespace {namespace}",
                                    hint="check the name and -n; `deploykit list -A` lists releases")
        latest = store.load(history[-1])
        result.previous_revision = latest.revision
        if latest.status is Status.UNINSTALLING:
            say(f"finishing the uninstall of revision {latest.revision} that was left unfinished: {latest.description}")
        delete_hooks = []
        if options.run_hooks and _has_delete_hooks(latest):
            # Hooks may hold secrets: they are re-rendered from the record, with the keys at hand.
            delete_hooks = revisions.reproduce(latest, cluster=upgrading.lookup_cluster(kube)).hooks
        refs = _to_delete(kube, latest, say=say)
        cancelling.check()  # nothing of this run was written: the lock is given back on the way out
        store.update_status(name, latest.revision, Status.UNINSTALLING, description="uninstall in progress")
        killpoints.reached("uninstalling")
        deleted: list[ObjectRef] = []
        try:
            with timer.phase("hooks"):
                result.hooks += [dataclasses.asdict(r)
                                 for r in hooks.run(kube, delete_hooks, event="pre-delete", track=track)]
            with timer.phase("delete"):
                applying.delete_created(kube, refs, deleted=deleted)
            result.deleted = [str(ref) for ref in deleted]
            with timer.phase("hooks"):
                result.hooks += [dataclasses.asdict(r)
                                 for r in hooks.run(kube, delete_hooks, event="post-delete", track=track)]
        except cancelling.Cancelled as exc:
            with cancelling.shielded():
                raise _cancelled(store, latest, exc, deleted=len(deleted), total=len(refs)) from None
        if options.keep_history:
            store.update_status(name, latest.revision, Status.UNINSTALLED, description="uninstalled")
        else:
            for summary in history:
                store.delete(name, summary.revision)
    result.status, result.timings, result.writes = UNINSTALLED, timer.phases, len(result.deleted)
    count = len(result.deleted)
    say(f"release {namespace}/{name} uninstalled ({count} object{'' if count == 1 else 's'} deleted)")
    return result


def _to_delete(kube: Kube, latest: Record, *, say: Say) -> list[ObjectRef]:
    """The latest revision's objects still in the cluster and the release's, less those kept (named)."""
    name, namespace = latest.name, latest.namespace
    kept = []
    refs = []
    shared = sharedcrds.recorded_as_objects(latest)  # an older deploykit's record: never delete them
    for obj in latest.objects:
        ref = ObjectRef(obj.api_version, obj.kind, obj.namespace, obj.name)
        live = kube.get(ref)
        if live is None or not ownership.belongs_to(live, release=name, namespace=namespace):
            continue
        if obj.kind == "CustomResourceDefinition" and obj.name in shared:
            say(f"kept (from crds/, shared with any release): {ref}")
            continue
        if ownership.keeps(live):
            kept.append(str(ref))
            continue
        refs.append(ref)
    if kept:
        say("kept (resource-policy: keep): " + ", ".join(kept))
    return refs


def _cancelled(store: RecordStore, latest: Record, cancelled: cancelling.Cancelled, *, deleted: int, total: int
               ) -> errors.CancelledError:
    """Record how far the cancelled uninstall got (the revision stays `uninstalling`); the error to exit with."""
    again = f"deploykit uninstall {latest.name} -n {latest.namespace}"
    how_far = f"{deleted} of {total} object{'' if total == 1 else 's'} deleted"
    store.update_status(latest.name, latest.revision, Status.UNINSTALLING,
                        description=f"uninstall {cancelled}, {how_far}: `{again}` finishes it")
    return errors.CancelledError(f"the uninstall of {latest.namespace}/{latest.name} was {cancelled} "
                                 f"({how_far}); revision {latest.revision} is left uninstalling",
                                 signum=cancelled.signum, hint=f"run `{again}` again to finish it")


def _has_delete_hooks(record) -> bool:
    for doc in revisions.manifest_documents(record):
        annotations = (doc.get("metadata") or {}).get("annotations") or {}
        value = str(annotations.get("deploykit.io/hook") or annotations.get("helm.sh/hook") or "")
        if any(part.strip() in ("pre-delete", "post-delete") for part in value.split(",")):
            return True
    return False

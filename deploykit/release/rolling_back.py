"""The rollback action: deploy a stored revision again, as a new revision.

    lock -> read the target record -> reproduce it (decrypt its stored sops ciphertext with the keys at hand,
    re-render, check the fingerprints) -> plan -> record pending-rollback -> pre-rollback hooks -> apply (force:
    drift is corrected, fields other managers own survive) -> track -> post-rollback hooks -> prune -> deployed

Without the keys to decrypt the stored secrets, or when the re-render does
not match the record, it stops before anything is applied. A failed
rollback is recorded failed and, atomic by default, the revision that was
running is restored.

Must not: print or parse flags.
"""

from __future__ import annotations

import dataclasses

from deploykit import errors
from deploykit.frozen import frozen
from deploykit.kube.client import Kube
from deploykit.release import deploying, revisions, upgrading
from deploykit.release.records import Status
from deploykit.release.results import DEPLOYED, DeployResult, Say, Timer
from deploykit.release.storage import RecordStore


@frozen
class RollbackOptions:
    release: str
    namespace: str
    revision: int | None = None  # None: the deployed revision before the current one
    wait: bool = True
    atomic: bool = True
    description: str = ""
    lock_timeout: float = 60.0


def rollback(kube: Kube, options: RollbackOptions, *, track: deploying.Track, say: Say) -> DeployResult:
    name, namespace = options.release, options.namespace
    timer = Timer()
    store = RecordStore(kube, namespace)
    with upgrading.hold_lock(kube, store, name, timeout=options.lock_timeout, say=say):
        history = store.history(name)
        if not history:
            raise errors.UsageError(f"release {name} has no history in namespace {namespace}",
                                    hint="check the name and -n; `deploykit list -A` lists releases")
        current = next((s for s in reversed(history) if s.status is Status.DEPLOYED), None)
        target_number = options.revision or _previous(history, current)
        if not any(s.revision == target_number for s in history):
            raise errors.UsageError(f"release {name} has no revision {target_number} "
                                    f"(it has {', '.join(str(s.revision) for s in history)})")
        target = store.get(name, target_number)
        number = history[-1].revision + 1
        with timer.phase("render"):
            revision = revisions.reproduce(target, cluster=upgrading.lookup_cluster(kube))
            revision = dataclasses.replace(revision, options=dataclasses.replace(revision.options, revision=number))
        last = store.load(current) if current else None
        with timer.phase("plan"):
            plan = upgrading.make_plan(kube, revision, last=last, adopt=False, create_namespace=False, number=number)
        result = DeployResult(release=name, namespace=namespace, action="rollback", plan=plan,
                              previous_revision=current.revision if current else None, notes=revision.notes)
        options_for_deploy = upgrading.UpgradeOptions(
            render=revision.options, atomic=options.atomic, wait=options.wait,
            description=options.description or f"rollback to {target_number}",
        )
        try:
            return upgrading._deploy_locked(
                kube, store, revision, plan, last=last, options=options_for_deploy, result=result, timer=timer,
                track=track, say=say, event="rollback", rolled_back_to=target_number,
            )
        finally:
            if result.status == DEPLOYED:
                say(f"rolled back {namespace}/{name} to revision {target_number} (recorded as revision {number})")


def _previous(history: list, current) -> int:
    deployed = [s.revision for s in history if s.status in (Status.DEPLOYED, Status.SUPERSEDED)]
    older = [r for r in deployed if current is None or r < current.revision]
    if not older:
        raise errors.UsageError("there is no earlier deployed revision to roll back to",
                                hint="name a revision: `deploykit rollback RELEASE REVISION`; `deploykit history` lists them")
    return older[-1]

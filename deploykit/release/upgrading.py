"""The install / upgrade action: a script of named phases, nelm-style.

    history -> render -> plan -> (no-op? done) -> lock -> record pending -> pre-hooks -> apply
      -> track -> post-hooks -> prune -> record deployed
    on failure after the first write (atomic, the default):
      record failed -> re-apply the last deployed revision -> delete what the attempt created
      -> track -> record the rollback as a new deployed revision

A no-op (nothing to change and the same inputs as the deployed revision)
takes no lock, writes no record and sends no write to the cluster. The
result is data (`results.DeployResult`); failures raise `DeployFailedError`
(exit 1) or `RollbackFailedError` (exit 5) carrying it.

Must not: print (progress goes through `say` and the tracker's printer) or
parse flags.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any

from deploykit import errors
from deploykit.frozen import frozen
from deploykit.kube.client import Kube
from deploykit.release import (applying, cancelling, deploying, deployers, killpoints, locking, ownership, planning,
                               plans, records, revisions, sharedcrds)
from deploykit.charts import clusters, kubeapis
from deploykit.release.inputs import RenderOptions, check_identity
from deploykit.release.plans import Plan
from deploykit.release.records import Status
from deploykit.release.results import (CLEANED_UP, DEPLOYED, FAILED, ROLLBACK_FAILED, ROLLED_BACK, UNCHANGED,
                                       DeployResult, Failure, Say, Timer)
from deploykit.release.storage import RecordStore, RecordSummary
from deploykit.track.tracking import TrackResult


@frozen
class UpgradeOptions:
    render: RenderOptions
    install: bool = True  # upgrade --install (install: must_be_new)
    must_be_new: bool = False
    atomic: bool = True
    wait: bool = True
    create_namespace: bool = False
    adopt: bool = False
    description: str = ""
    plan: Plan | None = None  # upgrade --plan FILE: apply exactly this plan
    lock_timeout: float = 60.0
    skip_crds: bool = False  # --skip-crds: the CRDs of crds/ are neither planned nor applied (as Helm)


@dataclasses.dataclass
class Prepared:
    """What a run knows before it writes: the history it read, the rendered revision, the last deployed record and
    the plan."""

    revision: revisions.Revision
    last: records.Record | None
    plan: Plan
    history: list[RecordSummary] = dataclasses.field(default_factory=list)


def prepare(kube: Kube, options: UpgradeOptions, *, timer: Timer) -> Prepared:
    """history -> render -> plan: everything an upgrade does before its first write (also `deploykit plan`)."""
    check_identity(options.render)
    name, namespace = options.render.release, options.render.namespace
    store = RecordStore(kube, namespace)
    with timer.phase("history"):
        history = store.history(name) if planning.namespace_exists(kube, namespace) else []
    deployed = [s for s in history if s.status is Status.DEPLOYED]
    last = store.load(deployed[-1]) if deployed else None
    if options.must_be_new and last is not None:
        raise errors.UsageError(f"release {name} is already installed in namespace {namespace} (revision {last.revision})",
                                hint=f"use `deploykit upgrade {name} CHART -n {namespace}` to change it")
    if not options.install and last is None:
        raise errors.UsageError(f"release {name} has no deployed revision in namespace {namespace}",
                                hint=_install_hint(kube, name, namespace, history))
    number = (history[-1].revision if history else 0) + 1
    render_options = dataclasses.replace(options.render, revision=number, is_upgrade=last is not None,
                                         cluster=options.render.cluster or lookup_cluster(kube))
    with timer.phase("decrypt"):  # in parallel, once per run: the render below reads them from memory
        revisions.decrypt(render_options)
    with timer.phase("render"):
        # a first install applying a reviewed plan keys its digests as the plan did
        sealed_key = last.sealed_key if last else options.plan.sealed_key if options.plan else None
        revision = revisions.prepare(render_options, sealed_key=sealed_key, source=f"release {namespace}/{name}")
    with timer.phase("plan"):
        plan = make_plan(kube, revision, last=last, adopt=options.adopt, create_namespace=options.create_namespace,
                         number=number, crds=not options.skip_crds)
        adoption = _adoption(kube, name, namespace) if options.adopt and not history else None
        if adoption is not None:  # adopted as revision 1, the plan applies as revision 2
            plan = dataclasses.replace(plan, adopts=adoption, revision=plan.revision + 1)
    return Prepared(revision=revision, last=last, plan=plan, history=history)


def _adoption(kube: Kube, name: str, namespace: str) -> plans.Adoption | None:
    """What `--adopt` adopts before this plan applies: the Helm release of this name, if Helm installed one."""
    from deploykit.release import adopting, helmrecords  # adopting takes this module's lock

    if planning.namespace_exists(kube, namespace) and helmrecords.exists(kube, release=name, namespace=namespace):
        return adopting.preview(kube, release=name, namespace=namespace)
    return None


def _install_hint(kube: Kube, name: str, namespace: str, history: list) -> str:
    from deploykit.release import helmrecords

    if not history and planning.namespace_exists(kube, namespace) and helmrecords.exists(
            kube, release=name, namespace=namespace):
        return f"Helm installed it: run `deploykit adopt helm {name} -n {namespace}`, or pass --adopt"
    return "pass --install to install it"


def upgrade(kube: Kube, options: UpgradeOptions, *, track: deploying.Track, say: Say) -> DeployResult:
    """Install or upgrade a release; the result says what happened (see the module docstring)."""
    timer = Timer()
    if options.adopt:
        _adopt_helm_release(kube, options, say)
    cancelling.check()
    prepared = prepare(kube, options, timer=timer)
    result = _planned(prepared, options, say)
    cancelling.check()  # cancelled while it planned: nothing was written
    store = RecordStore(kube, prepared.revision.options.namespace)
    if result.status == UNCHANGED and not _unsettled(kube, store, prepared):
        result.timings = timer.phases
        return result
    if options.create_namespace:  # the lock and the records live in the namespace
        applying.ensure_namespace(kube, prepared.revision.options.namespace, applying.Applied())
    with hold_lock(kube, store, prepared.revision.options.release, timeout=options.lock_timeout, say=say) as lock:
        if _moved(store, prepared):
            # Another run deployed while this one planned or waited: plan again against what it left.
            say("the release changed while this run waited for its lock: planning again")
            prepared = prepare(kube, options, timer=timer)
            result = _planned(prepared, options, say)
            if result.status == UNCHANGED:
                result.timings = timer.phases
                return result
        if lock.taken_over:
            result.took_over_lock_from = lock.taken_over.identity
        if result.status == UNCHANGED:  # a stopped run's lock or records were settled, and nothing is left to do
            result.timings = timer.phases
            return result
        return _deploy_locked(kube, store, prepared.revision, prepared.plan, last=prepared.last, options=options,
                              result=result, timer=timer, track=track, say=say)


def _adopt_helm_release(kube: Kube, options: UpgradeOptions, say: Say) -> None:
    """upgrade --adopt of a release Helm installed (Helm's records, none of deploykit's): adopt it first."""
    from deploykit.release import adopting  # it takes this module's lock

    name, namespace = options.render.release, options.render.namespace
    if planning.namespace_exists(kube, namespace) and adopting.owned_by_helm(kube, release=name, namespace=namespace):
        adopting.adopt_helm(kube, release=name, namespace=namespace, lock_timeout=options.lock_timeout, say=say)


def _planned(prepared: Prepared, options: UpgradeOptions, say: Say) -> DeployResult:
    """The result so far: the plan shown, checked against a reviewed one; UNCHANGED when there is nothing to do."""
    revision, last, plan = prepared.revision, prepared.last, prepared.plan
    result = DeployResult(release=revision.options.release, namespace=revision.options.namespace,
                          action="upgrade" if last else "install", plan=plan,
                          previous_revision=last.revision if last else None, notes=revision.notes,
                          environment_url=ownership.environment_url([d.obj for d in revision.desired]))
    for line in plans.describe(plan):
        say(line)
    if options.plan is not None:
        check_reviewed(options.plan, plan)
    if not plan.has_changes and last is not None:
        say(f"release {result.namespace}/{result.release} is up to date at revision {last.revision}: nothing to do")
        result.status = UNCHANGED
    return result


def _moved(store: RecordStore, prepared: Prepared) -> bool:
    """True when the release's history is not the one the plan was made against."""
    history = store.history(prepared.revision.options.release)
    latest = history[-1].revision if history else 0
    deployed = [s.revision for s in history if s.status is Status.DEPLOYED]
    return latest != prepared.plan.revision - 1 or (deployed[-1] if deployed else None) != (
        prepared.last.revision if prepared.last else None)


def lookup_cluster(kube: Kube) -> clusters.Cluster:
    """The cluster this run deploys to, for the render: `lookup` of Go-template charts reads it, and the API
    versions it serves (CRDs' too) join Capabilities.APIVersions of every chart, as in Helm."""
    return clusters.Cluster(kubeconfig=kube.connection.kubeconfig, context=kube.connection.context,
                           api_versions=tuple(kube.discovery.group_versions()), lookup=kube.lookup_proxy())


def target_version(kube: Kube) -> str:
    """The cluster's Kubernetes version as charts see it (Capabilities.KubeVersion): `v1.37.0`, build suffixes cut."""
    version = str(kube.server_version().get("gitVersion") or "")
    return version.split("+")[0].split("-")[0] or kubeapis.DEFAULT_KUBE_VERSION


def make_plan(kube: Kube, revision: revisions.Revision, *, last: records.Record | None, adopt: bool,
              create_namespace: bool, number: int, crds: bool = False) -> Plan:
    """The plan of a revision; with `crds`, also of its crds/ CRDs (install and upgrade; a rollback leaves them)."""
    namespace = revision.options.namespace
    context = planning.PlanContext(
        release=revision.options.release, namespace=namespace, adopt=adopt,
        # only those that do not exist yet: objects in an existing namespace are read and dry-run as usual
        new_namespaces=frozenset(ns for ns in revision.namespaces() | ({namespace} if create_namespace else set())
                                 if not planning.namespace_exists(kube, ns)),
        new_kinds=revision.new_kinds(include_crds=crds), mask=_mask, digest_key=revision.key,
    )
    # A crds/ CRD an older deploykit recorded as the release's object is never pruned: it is shared now.
    shared = set(revision.crds_by_key)
    legacy = sharedcrds.recorded_as_objects(last) if last else frozenset()
    previous = [obj for obj in (revisions.applied_objects(last) if last else []) if planning.key_of(obj) not in shared
                and not (obj.get("kind") == "CustomResourceDefinition" and (obj.get("metadata") or {}).get("name") in legacy)]
    operations = planning.build_operations(kube, revision.desired, previous=previous, context=context)
    chart = revision.result.chart.metadata
    return Plan(
        release=revision.options.release, namespace=namespace, revision=number, chart=f"{chart.name}-{chart.version}",
        operations=tuple(operations), inputs_digest=revision.inputs_digest,
        previous_inputs_digest=last.inputs_digest if last else "",
        hooks=tuple(f"{', '.join(h.events)} {h.manifest.kind} {h.manifest.name}" for h, _ in revision.hooks),
        sealed_key=revision.sealed_key,
        crds=tuple(sharedcrds.plan(kube, revision.crds, digest_key=revision.key)) if crds else (),
    )


def _mask(text: str) -> str:
    from deploykit.secrets import redaction

    return redaction.mask(text)


def check_reviewed(reviewed: Plan, current: Plan) -> None:
    """Refuse to apply a reviewed plan when the cluster or the inputs changed since it was made."""
    if (reviewed.release, reviewed.namespace) != (current.release, current.namespace):
        raise errors.UsageError(f"the plan is for release {reviewed.namespace}/{reviewed.release}, "
                                f"not {current.namespace}/{current.release}")
    problems = []
    if reviewed.revision != current.revision:
        problems.append(f"the release moved to revision {current.revision - 1} since the plan was made")
    if reviewed.inputs_digest != current.inputs_digest:
        problems.append("the chart, values or secrets differ from the ones the plan was made with")
    before = {op.key: op for op in (*reviewed.crds, *reviewed.operations)}
    after = {op.key: op for op in (*current.crds, *current.operations)}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old is None or new is None:
            problems.append(f"{(old or new).ident}: {'not in the reviewed plan' if old is None else 'no longer planned'}")
        elif (old.action, old.digest, old.live_version) != (new.action, new.digest, new.live_version):
            what = "changed in the cluster" if old.live_version != new.live_version else "would be applied differently"
            problems.append(f"{new.ident}: {what} since the plan was made")
    if problems:
        raise errors.UsageError("the reviewed plan is stale; nothing was applied:\n  " + "\n  ".join(problems),
                                hint="make and review a new plan with `deploykit plan ... --out FILE`")


@contextlib.contextmanager
def hold_lock(kube: Kube, store: RecordStore, name: str, *, timeout: float, say: Say) -> Iterator[locking.ReleaseLock]:
    """The release lock for the block; a killed run's lock is taken over and its pending record marked failed."""
    waiting = lambda holder: say(f"waiting for the release lock, held by {holder.identity} since {holder.acquired}")  # noqa: E731
    with locking.ReleaseLock(kube, store.namespace, name, timeout=timeout, on_wait=waiting,
                             duration=lease_seconds()) as lock:
        if lock.taken_over:
            say(f"warning: took over the lock of a run that stopped without releasing it ({lock.taken_over.identity})")
        _settle(store, name, say=say)
        killpoints.reached("lock")
        cancelling.check()  # the lock is given back on the way out; nothing of this run was written
        yield lock


def lease_seconds() -> int:
    """The lock's lease duration: DEPLOYKIT_LOCK_LEASE_SECONDS, else 30 (a killed run's lock is free after it)."""
    import os

    text = os.environ.get("DEPLOYKIT_LOCK_LEASE_SECONDS", "")
    try:
        return max(1, int(text)) if text else locking.DEFAULT_DURATION
    except ValueError:
        raise errors.UsageError(f"DEPLOYKIT_LOCK_LEASE_SECONDS={text!r} is not a whole number of seconds") from None


def _unsettled(kube: Kube, store: RecordStore, prepared: Prepared) -> bool:
    """True when a run stopped half-way: a pending revision, two deployed ones (in the history `prepare` read), or a
    lock left behind."""
    history = prepared.history
    if any(s.status.pending for s in history) or sum(s.status is Status.DEPLOYED for s in history) > 1:
        return True
    return locking.holder(kube, store.namespace, prepared.revision.options.release) is not None


def _settle(store: RecordStore, name: str, *, say: Say) -> None:
    """With the lock held, finish what a stopped run left: its pending revision failed, older deployed superseded.

    Only a lock holder writes records, so a pending revision seen while holding the lock belongs to a run that
    stopped (killed, or cut off from the API server) before it could record the outcome.
    """
    history = store.history(name)
    deployed = [s.revision for s in history if s.status is Status.DEPLOYED]
    for summary in history:
        if summary.status.pending:
            say(f"warning: revision {summary.revision} was left {summary.status} by a run that stopped: "
                "recorded as failed")
            store.update_status(name, summary.revision, Status.FAILED,
                                description="interrupted: the run holding the lock stopped before finishing")
        elif summary.status is Status.DEPLOYED and summary.revision != deployed[-1]:
            store.update_status(name, summary.revision, Status.SUPERSEDED)


def _record(revision: revisions.Revision, *, number: int, status: Status, description: str,
            **fields: Any) -> records.Record:
    now = records.now()
    chart = revision.result.chart
    return records.Record(
        name=revision.options.release, namespace=revision.options.namespace, revision=number, status=status,
        created=now, updated=now, description=description,
        chart=records.ChartIdentity(chart.metadata.name, chart.metadata.version, chart.metadata.app_version or "",
                                    chart.digest),
        chart_files=revision.chart_files, chart_path=revision.chart_path, values=revision.values,
        values_files=revision.values_files, secret_files=revision.secret_files,
        set_inputs=revision.set_inputs, manifest=revision.manifest,
        sealed_key=revision.sealed_key, inputs_digest=revision.inputs_digest,
        kube_version=revision.options.kube_version, notes=revision.safe_notes, template_engine=revision.result.engine,
        deployer=deployers.current(), adopted_from=revision.adopted_from, **fields,
    )


def _applied_crds(plan: Plan) -> tuple[records.AppliedObject, ...]:
    return tuple(records.AppliedObject(op.api_version, op.kind, None, op.name, created=op.action == plans.CREATE)
                 for op in plan.crds)


def _applied_objects(revision: revisions.Revision, created: Mapping[tuple, Any]) -> tuple[records.AppliedObject, ...]:
    return tuple(
        records.AppliedObject(d.ref.api_version, d.ref.kind, d.ref.namespace, d.ref.name, created=d.key in created)
        for d in revision.desired
    )


def _deploy_locked(
    kube: Kube, store: RecordStore, revision: revisions.Revision, plan: Plan, *, last: records.Record | None,
    options: UpgradeOptions, result: DeployResult, timer: Timer, track: deploying.Track, say: Say,
    event: str | None = None, rolled_back_to: int | None = None,
) -> DeployResult:
    number = plan.revision
    event = event or ("upgrade" if last else "install")
    pending = {"rollback": Status.PENDING_ROLLBACK, "upgrade": Status.PENDING_UPGRADE}.get(event, Status.PENDING_INSTALL)
    store.create(_record(revision, number=number, status=pending,
                         description=options.description or f"{event} in progress",
                         objects=_applied_objects(revision, {}), rolled_back_to=rolled_back_to))
    result.revision = number
    killpoints.reached("pending")
    say(f"{event} of {revision.options.namespace}/{revision.options.release}: revision {number}")
    try:
        attempt = deploying.deploy(kube, revision, list(plan.operations), event=event, track=track,
                                   wait=options.wait, timer=timer, say=say, crds=plan.crds)
    except deploying.AttemptFailed as failed:
        with cancelling.shielded():  # a second SIGTERM does not stop the rollback
            return _recover(kube, store, revision, plan, failed, last=last, options=options, result=result, timer=timer,
                            track=track, say=say)
    result.created = [f"{k[1]}/{k[3]}" for k in sorted(attempt.applied.created)]
    result.writes += attempt.applied.writes
    result.resources, result.applied_at = _resources(attempt.track), attempt.applied_at
    result.hooks = [dataclasses.asdict(run) for run in attempt.hook_runs]
    result.status, result.timings = DEPLOYED, timer.phases
    store.replace(_record(revision, number=number, status=Status.DEPLOYED,
                          description=options.description or f"{event} complete",
                          objects=_applied_objects(revision, attempt.applied.created),
                          hooks=_hook_results(attempt.hook_runs), timings=timer.phases,
                          rolled_back_to=rolled_back_to, crds=_applied_crds(plan)))
    killpoints.reached("record")
    if last is not None:
        store.update_status(last.name, last.revision, Status.SUPERSEDED)
    else:  # installed again over an uninstall that was cancelled half-way: that one is over
        for summary in store.history(revision.options.release):
            if summary.status is Status.UNINSTALLING:
                store.update_status(revision.options.release, summary.revision, Status.SUPERSEDED)
    say(f"release {revision.options.namespace}/{revision.options.release} revision {number} deployed")
    return result


def _recover(
    kube: Kube, store: RecordStore, revision: revisions.Revision, plan: Plan, failed: deploying.AttemptFailed, *,
    last: records.Record | None, options: UpgradeOptions, result: DeployResult,
    timer: Timer, track: deploying.Track, say: Say,
) -> DeployResult:
    number = revision.options.revision
    if failed.cancelled is not None and not failed.applied.writes and not failed.hook_runs:
        # Cancelled before its first write: nothing to roll back, the pending revision is recorded failed.
        store.update_status(revision.options.release, number, Status.FAILED,
                            description=f"{failed.failure.describe()}: nothing was applied")
        raise failed.cancelled
    result.failure = failed.failure
    result.resources, result.applied_at = _resources(failed.track), failed.applied_at
    result.hooks = [dataclasses.asdict(run) for run in failed.hook_runs]
    result.writes += failed.applied.writes
    result.created = [f"{k[1]}/{k[3]}" for k in sorted(failed.applied.created)]
    try:
        store.replace(_record(revision, number=number, status=Status.FAILED, description=failed.failure.describe(),
                              objects=_applied_objects(revision, failed.applied.created),
                              hooks=_hook_results(failed.hook_runs), timings=dict(timer.phases),
                              failure=failed.failure.describe(), crds=_applied_crds(plan)))
    except errors.KubeError as exc:  # the API server is gone: nothing more can be written or restored now
        result.status, result.timings = FAILED, timer.phases
        lost = errors.KubeError(
            f"{result.action} of {revision.options.release} stopped ({failed.failure.describe()}) and revision "
            f"{number} could not be recorded failed: {exc.message}",
            hint="once the cluster answers, run the same deploy again: it takes over the lock, records revision "
            f"{number} failed and deploys", status=exc.status)
        lost.result = result  # for the stage report: what was applied and why it stopped
        raise lost from exc
    say(f"revision {number} {failed.failure.outcome()}")
    if not options.atomic:
        result.status, result.timings = FAILED, timer.phases
        raise errors.DeployFailedError(f"{result.action} of {revision.options.release} {failed.failure.outcome()} "
                                       "(not rolled back: --no-atomic)",
                                       hint="fix the cause and upgrade again, or `deploykit rollback`")
    if failed.cancelled is not None:
        say(f"cancelled by {failed.cancelled.name}: rolling back; another SIGTERM or SIGINT does not stop the rollback "
            "(SIGKILL does, and the next run recovers)")
    previous = None
    try:
        with timer.phase("rollback"):
            # Re-rendered from its record now, not up front: a deploy that succeeds never pays for it. The keys are
            # still at hand after a SIGTERM: `cancelling.handling` holds the signal for the whole command.
            previous = revisions.reproduce(last, cluster=lookup_cluster(kube)) if last is not None else None
            restored = deploying.restore(kube, previous, failed.applied, track=track, wait=options.wait, say=say)
        if restored.track is not None and not restored.track.ok:
            raise errors.DeployFailedError("the restored revision did not become ready: "
                                           + Failure.from_track("rollback", restored.track, "not ready").describe())
    except errors.DeploykitError as exc:
        result.status, result.timings, result.rollback_error = ROLLBACK_FAILED, timer.phases, str(exc)
        store.update_status(revision.options.release, number, Status.FAILED,
                            description=f"{failed.failure.describe()}; the rollback failed too: {exc}"[:1000])
        raise errors.RollbackFailedError(
            f"{result.action} of {revision.options.release} failed ({failed.failure.describe()}) and the rollback "
            f"failed too: {exc}", hint="a human must look: `deploykit status` and `deploykit history` show the state",
            result=result) from None
    result.deleted = restored.deleted
    result.writes += restored.writes
    if previous is not None and last is not None:
        rollback_number = number + 1
        store.create(_record(previous, number=rollback_number, status=Status.DEPLOYED,
                             description=f"rollback to {last.revision} after revision {number} "
                             + ("was cancelled" if failed.failure.cancelled else "failed"),
                             objects=tuple(dataclasses.replace(o, created=False) for o in last.objects),
                             rolled_back_to=last.revision, timings=dict(timer.phases)))
        store.update_status(last.name, last.revision, Status.SUPERSEDED)
        result.status, result.restored_revision = ROLLED_BACK, last.revision
        say(f"rolled back: revision {last.revision} is running again (recorded as revision {rollback_number})")
    else:
        result.status = CLEANED_UP
        say("the failed install was cleaned up: the next `upgrade --install` installs afresh")
    result.timings = timer.phases
    error = errors.DeployFailedError(
        f"{result.action} of {revision.options.release} {failed.failure.outcome()}; "
        + (f"rolled back to revision {last.revision}" if result.status == ROLLED_BACK else "everything it created was removed"),
        hint="the run was cancelled (a cancelled CI job, Ctrl-C): deploy again when ready" if failed.cancelled
        else "the lines above show what failed (pod, container, exit code, last log lines)",
    )
    error.result = result
    if failed.cancelled is not None:
        error.cancelled = failed.cancelled.signum
    raise error


def _resources(result: TrackResult | None) -> list[dict[str, Any]]:
    return [dataclasses.asdict(r) for r in result.resources] if result else []


def _hook_results(runs: list) -> tuple[records.HookResult, ...]:
    return tuple(records.HookResult(kind=r.kind, name=r.name, namespace=r.namespace, phase=r.event,
                                    outcome="succeeded" if r.ok else "failed", weight=r.weight, seconds=r.seconds,
                                    message=r.reason) for r in runs)

"""From what a stage did (engine results per cluster and release) to the stage report's data.

Owns the mapping of `running.ClusterOutcome` / `results.DeployResult` onto
`report.model.StageReport`: statuses, revisions before and after, plan
counts, per-object results, hooks, the failure with its pod, container,
exit code and log lines, the rollback, phase timings.

Must not: write files or mask (report.writing does both), or decide gates.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from deploykit.pipeline.running import CANCELLED, FAILED, SKIPPED, ClusterOutcome, ReleaseOutcome
from deploykit.release import results
from deploykit.report import model

_OBJECT_STATUS = {"Ready": "ready", "Failed": "failed"}


def stage_report(
    outcome: ClusterOutcome, *, pipeline: str, stage: str, artifact_digest: str, env: Mapping[str, str],
) -> model.StageReport:
    releases = [release_report(r) for r in outcome.releases]
    return model.StageReport(
        pipeline=pipeline, stage=stage, cluster=outcome.cluster, status=_stage_status(releases),
        started_at=outcome.started, finished_at=outcome.finished, artifact_digest=artifact_digest,
        ci=model.ci_job_from_env(env), releases=releases,
        environment_url=next((r.result.environment_url for r in outcome.releases
                              if r.result is not None and r.result.environment_url), ""),
    )


def refused_report(
    *, pipeline: str, stage: str, cluster: str, artifact_digest: str, reason: str, env: Mapping[str, str], at: str,
) -> model.StageReport:
    """The report of a stage a gate refused: nothing was applied."""
    return model.StageReport(
        pipeline=pipeline, stage=stage, cluster=cluster, status=model.REFUSED, started_at=at, finished_at=at,
        artifact_digest=artifact_digest, ci=model.ci_job_from_env(env),
        releases=[model.ReleaseReport(name="(gate)", namespace="", status="refused",
                                      failure=model.FailureReport(reason=reason))],
    )


def _stage_status(releases: list[model.ReleaseReport]) -> str:
    statuses = {r.status for r in releases}
    if "cancelled" in statuses:
        return model.CANCELLED
    if statuses <= {"deployed", "unchanged"}:
        return model.SUCCESS
    if statuses <= {"deployed", "unchanged", "rolled-back"}:
        return model.ROLLED_BACK
    return model.FAILED


def release_report(outcome: ReleaseOutcome) -> model.ReleaseReport:
    result = outcome.result
    if result is None and outcome.status == CANCELLED:  # cancelled before its first write, or never started
        return model.ReleaseReport(name=outcome.release, namespace="", status="cancelled",
                                   failure=model.FailureReport(reason=outcome.error))
    if result is None:
        reason = outcome.error or "not deployed"
        return model.ReleaseReport(name=outcome.release, namespace="", status="refused",
                                   failure=model.FailureReport(reason=("skipped: " if outcome.status == SKIPPED else "")
                                                               + reason))
    failure = _failure(result.failure) if result.failure else None
    status = result.status
    if result.failure is not None and result.failure.phase == "cancelled":
        status = "cancelled"
    elif status == results.CLEANED_UP or (outcome.status == FAILED and status == results.DEPLOYED):
        status = "failed"
    # The revision this run wrote (a rolled-back attempt's too: `rollback.toRevision` says what runs again).
    after = {results.DEPLOYED: result.revision, results.UNCHANGED: result.previous_revision,
             results.ROLLED_BACK: result.revision, results.ROLLBACK_FAILED: result.revision,
             }.get(result.status, result.previous_revision)
    rollback = None
    if result.status in (results.ROLLED_BACK, results.ROLLBACK_FAILED):
        rollback = model.RollbackReport(to_revision=result.restored_revision or result.previous_revision,
                                        ok=result.status == results.ROLLED_BACK, error=result.rollback_error,
                                        seconds=result.timings.get("rollback"))
    return model.ReleaseReport(
        name=result.release, namespace=result.namespace, status=status, revision_before=result.previous_revision,
        revision_after=after,
        plan={action: count for action, count in (result.plan.counts() if result.plan else {}).items() if count},
        objects=[_object(resource, failure, applied_at=result.applied_at) for resource in result.resources],
        hooks=[_hook(run) for run in result.hooks], failure=failure, rollback=rollback,
        timings={phase: seconds for phase, seconds in result.timings.items() if phase in model.PHASES},
    )


def _failure(failure: results.Failure) -> model.FailureReport:
    return model.FailureReport(reason=failure.reason, object=failure.object, pod=failure.pod,
                               container=failure.container, exit_code=failure.exit_code, logs=list(failure.logs))


def _object(resource: Mapping[str, Any], failure: model.FailureReport | None, *, applied_at: str | None
            ) -> model.ObjectReport:
    status = _OBJECT_STATUS.get(str(resource.get("phase")), "applied")
    title = f"{resource.get('kind')}/{resource.get('name')}"
    own_failure = failure if failure is not None and failure.object == title else None
    if status == "failed" and own_failure is None:
        own_failure = model.FailureReport(reason=str(resource.get("reason") or "failed"), object=title)
    if own_failure is not None and own_failure.seconds is None:
        own_failure = dataclasses.replace(own_failure, seconds=resource.get("seconds"))
    return model.ObjectReport(
        kind=str(resource.get("kind")), name=str(resource.get("name")), namespace=resource.get("namespace") or "",
        status=status, applied_at=applied_at, failure=own_failure,
        seconds_to_ready=resource.get("seconds") if status == "ready" else None,
    )


def _hook(run: Mapping[str, Any]) -> model.HookReport:
    ok = bool(run.get("ok"))
    return model.HookReport(event=str(run.get("event")), kind=str(run.get("kind")), name=str(run.get("name")), ok=ok,
                            seconds=float(run.get("seconds") or 0.0),
                            failure=None if ok else model.FailureReport(reason=str(run.get("reason") or "failed")))

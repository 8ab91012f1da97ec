"""The Job controller: run pods to completion, count successes and failures, end Complete or Failed.

Owns what kube-controller-manager's job controller does (1.3x behaviour):
start time, up to `parallelism` active pods until `completions` succeed (or,
without completions, until one succeeds and the rest finish), Indexed
completion mode (indexes, completedIndexes), pod failures counted against
`backoffLimit` (container restarts too with restartPolicy OnFailure) with the
controller's back-off before replacing a failed pod (10 s doubling, scaled),
`activeDeadlineSeconds`; success writes SuccessCriteriaMet and then, once no
pod is terminating, Complete with completionTime (event Completed); failure
writes FailureTarget, deletes the active pods, then Failed with reason
BackoffLimitExceeded or DeadlineExceeded (Warning events of those names);
`suspend` (Suspended condition) and `ttlSecondsAfterFinished` (the TTL
controller deletes the Job). Status also carries active, ready, succeeded,
failed, terminating and uncountedTerminatedPods as the real one does.
"""

from __future__ import annotations

from typing import Any

from deploykit.sim import times
from deploykit.sim.controllers import events, objects, reconciling, templates

Obj = dict[str, Any]
INDEX = "batch.kubernetes.io/job-completion-index"
BACKOFF_LIMIT = ("BackoffLimitExceeded", "Job has reached the specified backoff limit")
DEADLINE = ("DeadlineExceeded", "Job was active longer than specified deadline")
COMPLETIONS = ("CompletionsReached", "Reached expected number of succeeded pods")


def index_ranges(indexes: set[int]) -> str:
    """`0-2,5`: how completedIndexes lists indexes."""
    out, ordered = [], sorted(indexes)
    start = prev = None
    for value in ordered + [None]:
        if value is not None and prev is not None and value == prev + 1:
            prev = value
            continue
        if start is not None:
            out.append(str(start) if start == prev else f"{start}-{prev}")
        start = prev = value
    return ",".join(out)


def _condition(kind: str, reason: str, message: str, now: str, status: str = "True") -> Obj:
    return {"type": kind, "status": status, "lastProbeTime": now, "lastTransitionTime": now, "reason": reason,
            "message": message}


def _index(pod: Obj) -> int | None:
    value = (pod["metadata"].get("annotations") or {}).get(INDEX) or (pod["metadata"].get("labels") or {}).get(INDEX)
    return int(value) if value is not None and str(value).isdigit() else None


class Jobs(reconciling.Controller):
    resource = ("batch", "v1", "jobs")
    owned = (("", "v1", "pods"),)
    component = "job-controller"

    def __init__(self, ctx: reconciling.Context) -> None:
        super().__init__(ctx)
        self.pods_rt = ctx.rt("", "v1", "pods")
        self._failures: dict[str, tuple[int, float]] = {}  # job uid -> (failures seen, when the last was seen)

    def forget(self, uid: str) -> None:
        self._failures.pop(uid, None)

    def reconcile(self, namespace: str, name: str) -> float | None:
        job = self.live(namespace, name)
        if job is None or job["metadata"].get("deletionTimestamp"):
            return None
        status = dict(job.get("status") or {})
        conditions = list(status.get("conditions") or [])
        if any(c.get("type") in ("Complete", "Failed") and c.get("status") == "True" for c in conditions):
            return self._expire(job)
        spec = job.get("spec") or {}
        now, stamp = self.ctx.now(), self.api.now()
        pods = objects.dependents(self.store, job, self.pods_rt.key)
        active = [p for p in pods if objects.pod_active(p)]
        done = [p for p in pods if (p.get("status") or {}).get("phase") == "Succeeded"]
        failed = sum(1 for p in pods if (p.get("status") or {}).get("phase") == "Failed")
        if ((spec.get("template") or {}).get("spec") or {}).get("restartPolicy") == "OnFailure":
            failed += sum(objects.restarts(p) for p in pods)
        failed = max(failed, int(status.get("failed") or 0))
        indexed = spec.get("completionMode") == "Indexed"
        completions = spec.get("completions")
        done_indexes = {i for i in (_index(p) for p in done) if i is not None}
        succeeded = len(done_indexes) if indexed else max(len(done), int(status.get("succeeded") or 0))
        status.setdefault("startTime", stamp)
        started = times.parse(status["startTime"]) or now
        target = next((c for c in conditions if c.get("type") in ("FailureTarget", "SuccessCriteriaMet")
                       and c.get("status") == "True"), None)
        again: float | None = None
        if target is None and spec.get("suspend"):
            for pod in active:
                self.delete_pod(job, pod)
            conditions = objects.set_condition(conditions, _condition("Suspended", "JobSuspended", "Job suspended",
                                                                      stamp))
        elif target is None:
            conditions = objects.without_condition(conditions, "Suspended")
            deadline = spec.get("activeDeadlineSeconds")
            limit = spec.get("backoffLimit", 6)
            if failed > limit:
                target = _condition("FailureTarget", *BACKOFF_LIMIT, stamp)
            elif deadline is not None and now - started >= self.timing.scaled(deadline):
                target = _condition("FailureTarget", *DEADLINE, stamp)
            elif (completions is not None and succeeded >= completions) or (
                    completions is None and succeeded > 0 and not active):
                target = _condition("SuccessCriteriaMet", *COMPLETIONS, stamp)
            if target is not None:
                conditions.append(target)
                if target["type"] == "FailureTarget":
                    for pod in active:
                        self.delete_pod(job, pod)
            else:
                again = self._run(job, active, failed, succeeded, done_indexes, now)
                if deadline is not None:
                    left = started + self.timing.scaled(deadline) - now
                    again = left if again is None else min(again, left)
        pods = objects.dependents(self.store, job, self.pods_rt.key)
        active = [p for p in pods if objects.pod_active(p)]
        terminating = [p for p in pods if p["metadata"].get("deletionTimestamp") and not objects.pod_terminal(p)]
        if target is not None and not terminating and not active:
            final = "Failed" if target["type"] == "FailureTarget" else "Complete"
            if objects.condition({"conditions": conditions}, final) is None:
                conditions.append(_condition(final, target["reason"], target["message"], stamp))
                if final == "Complete":
                    status["completionTime"] = stamp
                    self.event(job, events.NORMAL, "Completed", "Job completed")
                else:
                    self.event(job, events.WARNING, target["reason"], target["message"])
        status = self._status(status, conditions, active=active, terminating=terminating, succeeded=succeeded,
                              failed=failed, done_indexes=done_indexes if indexed else None)
        job = self.write_status(job, status)
        if any(c.get("type") in ("Complete", "Failed") for c in conditions):
            return self._expire(job)
        return again

    def _run(self, job: Obj, active: list[Obj], failed: int, succeeded: int, done_indexes: set[int],
             now: float) -> float | None:
        """Create or delete pods towards `parallelism`; returns when the back-off lets it create again."""
        spec = job.get("spec") or {}
        parallelism = spec.get("parallelism", 1)
        completions = spec.get("completions")
        indexed = spec.get("completionMode") == "Indexed" and completions is not None
        if completions is None:
            wanted = 0 if succeeded else parallelism
        else:
            wanted = min(parallelism, completions - succeeded)
        if len(active) > wanted:
            for pod in sorted(active, key=lambda p: p["metadata"].get("creationTimestamp", ""),
                              reverse=True)[: len(active) - wanted]:
                self.delete_pod(job, pod)
            return None
        missing = wanted - len(active)
        if missing <= 0:
            return None
        uid = job["metadata"]["uid"]
        seen, when = self._failures.get(uid, (0, now))
        if failed > seen:
            seen, when = failed, now
            self._failures[uid] = (seen, when)
        if failed:
            delay = self.timing.scaled(min(self.timing.job_backoff * 2 ** (failed - 1), self.timing.job_backoff_max))
            if now < when + delay:
                return when + delay - now
        busy = {i for i in (_index(p) for p in active) if i is not None}
        free = [i for i in range(completions or 0) if i not in done_indexes and i not in busy] if indexed else []
        for n in range(missing):
            if indexed and n >= len(free):
                break
            self._create(job, free[n] if indexed else None)
        return None

    def _create(self, job: Obj, index: int | None) -> None:
        name = job["metadata"]["name"]
        template = (job.get("spec") or {}).get("template") or {}
        extra: dict[str, str] = {}
        changes: Obj | None = None
        generate = f"{name}-"
        if index is not None:
            extra[INDEX] = str(index)
            generate = f"{name}-{index}-"
            containers = [dict(c, env=list(c.get("env") or []) + [{"name": "JOB_COMPLETION_INDEX", "value": str(index)}])
                          for c in (template.get("spec") or {}).get("containers") or []]
            changes = {"hostname": f"{name}-{index}", "containers": containers}
        pod = templates.pod_from_template(template, job, generate_name=generate, extra_labels=extra,
                                          spec_changes=changes)
        if index is not None:
            pod["metadata"]["annotations"] = {**(pod["metadata"].get("annotations") or {}), INDEX: str(index)}
        self.create_pod(job, pod)

    def _status(self, status: Obj, conditions: list[Obj], *, active: list[Obj], terminating: list[Obj],
                succeeded: int, failed: int, done_indexes: set[int] | None) -> Obj:
        out: Obj = {}
        if conditions:
            out["conditions"] = conditions
        out["startTime"] = status["startTime"]
        if status.get("completionTime"):
            out["completionTime"] = status["completionTime"]
        out.update(objects.nonzero(active=len(active), succeeded=succeeded, failed=failed))
        out["terminating"] = len(terminating)
        if done_indexes:
            out["completedIndexes"] = index_ranges(done_indexes)
        out["uncountedTerminatedPods"] = {}
        out["ready"] = sum(1 for p in active if objects.pod_ready(p))
        return out

    def _expire(self, job: Obj) -> float | None:
        """ttlSecondsAfterFinished: delete the finished Job once its time is up (ttl-after-finished)."""
        ttl = (job.get("spec") or {}).get("ttlSecondsAfterFinished")
        if ttl is None:
            return None
        finished = next((c.get("lastTransitionTime") for c in (job.get("status") or {}).get("conditions") or ()
                         if c.get("type") in ("Complete", "Failed") and c.get("status") == "True"), None)
        at = times.parse(finished)
        if at is None:
            return None
        left = at + self.timing.scaled(ttl) - self.ctx.now()
        if left > 0:
            return left
        self.api.delete(self.rt, job["metadata"]["namespace"], job["metadata"]["name"], propagation="Foreground")
        return None


__all__ = ["Jobs", "index_ranges"]

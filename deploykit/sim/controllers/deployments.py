"""The Deployment controller: ReplicaSets per template, rolling and Recreate rollouts, status as the real one.

Owns what kube-controller-manager's deployment controller does, step by
step, with the arithmetic in `rollouts`: find or create the new ReplicaSet of
the current template (`<name>-<pod-template-hash>`, hash label and selector,
revision / desired-replicas / max-replicas annotations, the revision copied
to the Deployment; a template seen before gets its old ReplicaSet back with a
new revision, which is how `kubectl rollout undo` works), scale it up and the
old ones down within maxSurge / maxUnavailable (Recreate: old ones to zero,
wait for their pods to go, then the new one), proportional scaling when
replicas change mid-rollout, pause / resume, cleanup beyond
revisionHistoryLimit, ScalingReplicaSet events, and the status with its
Available and Progressing conditions, ProgressDeadlineExceeded included
(progressDeadlineSeconds is scaled by the simulation speed).
"""

from __future__ import annotations

from typing import Any, Iterable

from deploykit.sim import statuses, times
from deploykit.sim import store as store_mod
from deploykit.sim.controllers import events, objects, reconciling, rollouts, templates

Obj = dict[str, Any]


class Deployments(reconciling.Controller):
    resource = ("apps", "v1", "deployments")
    owned = (("apps", "v1", "replicasets"), ("", "v1", "pods"))
    component = "deployment-controller"

    def __init__(self, ctx: reconciling.Context) -> None:
        super().__init__(ctx)
        self.rs_rt = ctx.rt("apps", "v1", "replicasets")
        # uid -> (lastUpdateTime written, when): timestamps are whole seconds, deadlines may be shorter.
        self._progress: dict[str, tuple[str, float]] = {}

    def keys_for(self, event: store_mod.Event) -> Iterable[reconciling.Key]:
        """Its own changes and its ReplicaSets'; a pod's deletion too (Recreate waits for old pods to go)."""
        if event.key != ("", "pods"):
            yield from super().keys_for(event)
            return
        if event.type != store_mod.DELETED:
            return
        ref = objects.controller_of(event.obj)
        if ref is None or ref.get("kind") != "ReplicaSet":
            return
        namespace = event.obj["metadata"].get("namespace", "")
        rs = self.store.get(self.rs_rt.key, namespace, ref["name"])
        owner = objects.controller_of(rs) if rs is not None else None
        if owner is not None and owner.get("kind") == "Deployment":
            yield namespace, owner["name"]

    # --- the sync loop --------------------------------------------------------------------------------

    def forget(self, uid: str) -> None:
        self._progress.pop(uid, None)

    def reconcile(self, namespace: str, name: str) -> float | None:
        d = self.live(namespace, name)
        if d is None:
            return None
        rss = self._replica_sets(d)
        if d["metadata"].get("deletionTimestamp"):
            self._sync_status(d, rss, self._find_new(d, rss))
            return None
        d = self._check_paused(d)
        if (d.get("spec") or {}).get("paused") or self._scaling_event(d, rss):
            return self._sync(d, rss)
        if rollouts.rolling(d):
            return self._rolling(d, rss)
        return self._recreate(d, rss)

    def _replica_sets(self, d: Obj) -> list[Obj]:
        return rollouts.by_creation(objects.dependents(self.store, d, self.rs_rt.key))

    def _find_new(self, d: Obj, rss: list[Obj]) -> Obj | None:
        template = (d.get("spec") or {}).get("template")
        return next((rs for rs in rss if templates.equal_ignoring_hash((rs.get("spec") or {}).get("template"),
                                                                       template)), None)

    def _scaling_event(self, d: Obj, rss: list[Obj]) -> bool:
        desired = str(rollouts.spec_replicas(d))
        for rs in rollouts.active(rss):
            annotated = (rs["metadata"].get("annotations") or {}).get(rollouts.DESIRED_REPLICAS)
            if annotated is not None and annotated != desired:
                return True
        return False

    def _rolling(self, d: Obj, rss: list[Obj]) -> float | None:
        d, new, olds = self._new_replica_set(d, rss, create=True)
        if new is None:
            return self._sync_rollout(d, olds, None)
        desired = rollouts.spec_replicas(d)
        current = rollouts.spec_replicas(new)
        if current != desired:
            target = desired if current > desired else rollouts.new_rs_replicas(d, olds + [new], new)
            if target != current:
                new = self._scale(d, new, target)
                return self._sync_rollout(d, olds, new)
        budget = rollouts.old_scale_down_budget(olds + [new], olds, new, d)
        if budget > 0:
            by_name = {rs["metadata"]["name"]: rs for rs in olds}
            changed = False
            for rs, size in rollouts.cleanup_unhealthy(rollouts.active(olds), d, budget):
                by_name[rs["metadata"]["name"]] = self._scale(d, rs, size)
                changed = True
            olds = rollouts.by_creation(list(by_name.values()))
            for rs, size in rollouts.scale_down_old(olds + [new], rollouts.active(olds), d):
                by_name[rs["metadata"]["name"]] = self._scale(d, rs, size)
                changed = True
            olds = rollouts.by_creation(list(by_name.values()))
            if changed:
                return self._sync_rollout(d, olds, new)
        if rollouts.complete(d, d.get("status") or {}):
            self._cleanup(d, olds)
        return self._sync_rollout(d, olds, new)

    def _recreate(self, d: Obj, rss: list[Obj]) -> float | None:
        d, new, olds = self._new_replica_set(d, rss, create=False)
        scaled = False
        for rs in rollouts.active(olds):
            self._scale(d, rs, 0)
            scaled = True
        if scaled:
            return self._sync_rollout(d, self._replica_sets_except(d, new), new)
        if self._old_pods_running(olds):
            return self._sync_rollout(d, olds, new)
        if new is None:
            d, new, olds = self._new_replica_set(d, self._replica_sets(d), create=True)
        if new is not None and rollouts.spec_replicas(new) != rollouts.spec_replicas(d):
            new = self._scale(d, new, rollouts.spec_replicas(d))
            return self._sync_rollout(d, olds, new)
        if rollouts.complete(d, d.get("status") or {}):
            self._cleanup(d, olds)
        return self._sync_rollout(d, olds, new)

    def _replica_sets_except(self, d: Obj, new: Obj | None) -> list[Obj]:
        skip = new["metadata"]["name"] if new is not None else None
        return [rs for rs in self._replica_sets(d) if rs["metadata"]["name"] != skip]

    def _old_pods_running(self, olds: list[Obj]) -> bool:
        pods_key = ("", "pods")
        for rs in olds:
            if (rs.get("status") or {}).get("replicas"):
                return True
            if any(not objects.pod_terminal(p) for p in objects.dependents(self.store, rs, pods_key)):
                return True
        return False

    def _sync(self, d: Obj, rss: list[Obj]) -> float | None:
        """Scaling (and paused Deployments): resize the ReplicaSets, refresh the counts, no rollout."""
        d, new, olds = self._new_replica_set(d, rss, create=False)
        only = rollouts.active_or_latest(new, olds)
        if only is not None:
            if rollouts.spec_replicas(only) != rollouts.spec_replicas(d):
                self._scale(d, only, rollouts.spec_replicas(d))
        elif rollouts.saturated(d, new):
            for rs in rollouts.active(olds):
                self._scale(d, rs, 0)
        elif rollouts.rolling(d):
            sizes, operation = rollouts.proportional(d, rollouts.active(olds + ([new] if new else [])))
            for rs, size in sizes:
                self._scale(d, rs, size, operation=operation or None)
        if (d.get("spec") or {}).get("paused"):
            self._cleanup(d, olds)
        rss = self._replica_sets(d)
        self._sync_status(d, rss, self._find_new(d, rss))
        return None

    # --- ReplicaSets ----------------------------------------------------------------------------------

    def _new_replica_set(self, d: Obj, rss: list[Obj], *, create: bool) -> tuple[Obj, Obj | None, list[Obj]]:
        """(Deployment, its new ReplicaSet or None, the old ones): getAllReplicaSetsAndSyncRevision."""
        new = self._find_new(d, rss)
        olds = [rs for rs in rss if rs is not new]
        new_revision = max((rollouts.revision(rs) for rs in olds), default=0) + 1
        if new is not None:
            annotations = rollouts.new_rs_annotations(d, new, new_revision, exists=True)
            min_ready = (d.get("spec") or {}).get("minReadySeconds")
            if annotations is not None or (new.get("spec") or {}).get("minReadySeconds") != min_ready:
                body = dict(new, metadata=dict(new["metadata"], annotations=annotations or
                                               new["metadata"].get("annotations") or {}))
                spec = {k: v for k, v in (new.get("spec") or {}).items() if k != "minReadySeconds"}
                if min_ready:
                    spec["minReadySeconds"] = min_ready
                body["spec"] = spec
                return d, self._update_rs(body), olds
            meta, status = self._with_revision(d, str(rollouts.revision(new)))
            if rollouts.has_progress_deadline(d) and objects.condition(status, "Progressing") is None:
                status["conditions"] = objects.set_condition(list(status.get("conditions") or []), rollouts.condition(
                    "Progressing", "True", rollouts.FOUND_NEW_RS, f'Found new replica set "{new["metadata"]["name"]}"',
                    self.api.now()))
            if meta is not None or status != (d.get("status") or {}):
                d = self._write(d, status, meta)
            return d, new, olds
        if not create:
            return d, None, olds
        return self._create_new(d, olds, new_revision)

    def _create_new(self, d: Obj, olds: list[Obj], new_revision: int) -> tuple[Obj, Obj | None, list[Obj]]:
        spec = d.get("spec") or {}
        collisions = (d.get("status") or {}).get("collisionCount")
        pod_hash = templates.compute_hash(spec.get("template") or {}, collisions)
        template = templates.with_labels(spec.get("template") or {}, {templates.HASH_LABEL: pod_hash})
        selector = dict(spec.get("selector") or {})
        selector["matchLabels"] = {**(selector.get("matchLabels") or {}), templates.HASH_LABEL: pod_hash}
        name = f"{d['metadata']['name']}-{pod_hash}"
        rs: Obj = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
                   "metadata": {"name": name, "namespace": d["metadata"]["namespace"],
                                "labels": dict(template["metadata"].get("labels") or {}),
                                "ownerReferences": [objects.controller_ref(d)]},
                   "spec": {"replicas": 0, "selector": selector, "template": template}}
        if spec.get("minReadySeconds"):
            rs["spec"]["minReadySeconds"] = spec["minReadySeconds"]
        replicas = rollouts.new_rs_replicas(d, olds + [rs], rs)
        rs["spec"]["replicas"] = replicas
        rs["metadata"]["annotations"] = rollouts.new_rs_annotations(d, rs, new_revision, exists=False) or {}
        existed = False
        try:
            created = self.api.create(self.rs_rt, rs["metadata"]["namespace"], rs, manager=self.manager).obj
        except statuses.ApiError as exc:
            if exc.code == 409 and exc.reason == "AlreadyExists":
                found = self.store.get(self.rs_rt.key, rs["metadata"]["namespace"], name)
                if found is not None and objects.controlled_by(found, d["metadata"]["uid"]) and \
                        templates.equal_ignoring_hash((found.get("spec") or {}).get("template"), spec.get("template")):
                    created, existed = found, True
                else:
                    status = dict(d.get("status") or {}, collisionCount=(collisions or 0) + 1)
                    return self._write(d, status, None), None, olds
            elif exc.code == 403:
                return d, None, olds  # the namespace is terminating: nothing to do
            else:
                message = f'Failed to create new replica set "{name}": {exc.message}'
                if rollouts.has_progress_deadline(d):
                    status = dict(d.get("status") or {})
                    status["conditions"] = objects.set_condition(list(status.get("conditions") or []),
                                                                 rollouts.condition("Progressing", "False",
                                                                                    rollouts.FAILED_RS_CREATE,
                                                                                    message, self.api.now()))
                    d = self._write(d, status, None)
                self.event(d, events.WARNING, rollouts.FAILED_RS_CREATE, message)
                return d, None, olds
        if not existed and replicas > 0:
            self.event(d, events.NORMAL, "ScalingReplicaSet", f"Scaled up replica set {name} from 0 to {replicas}")
        meta, status = self._with_revision(d, str(new_revision))
        if not existed and rollouts.has_progress_deadline(d):
            status["conditions"] = objects.set_condition(list(status.get("conditions") or []), rollouts.condition(
                "Progressing", "True", rollouts.NEW_RS_CREATED, f'Created new replica set "{name}"', self.api.now()))
        if meta is not None or status != (d.get("status") or {}):
            d = self._write(d, status, meta)
        return d, created, olds

    def _with_revision(self, d: Obj, revision: str) -> tuple[Obj | None, Obj]:
        """(new metadata when the revision annotation changes, a copy of the status)."""
        status = dict(d.get("status") or {})
        annotations = d["metadata"].get("annotations") or {}
        if annotations.get(rollouts.REVISION) == revision:
            return None, status
        return dict(d["metadata"], annotations={**annotations, rollouts.REVISION: revision}), status

    def _scale(self, d: Obj, rs: Obj, size: int, *, operation: str | None = None) -> Obj:
        """Resize a ReplicaSet (with the replicas annotations) and record ScalingReplicaSet."""
        current = rollouts.spec_replicas(rs)
        annotations = rollouts.replicas_annotations(d, rs)
        if current == size and annotations == (rs["metadata"].get("annotations") or {}):
            return rs
        body = dict(rs, metadata=dict(rs["metadata"], annotations=annotations),
                    spec=dict(rs.get("spec") or {}, replicas=size))
        updated = self._update_rs(body)
        if current != size:
            operation = operation or ("up" if size > current else "down")
            self.event(d, events.NORMAL, "ScalingReplicaSet",
                       f"Scaled {operation} replica set {rs['metadata']['name']} from {current} to {size}")
        return updated

    def _update_rs(self, body: Obj) -> Obj:
        meta = body["metadata"]
        return self.api.update(self.rs_rt, meta["namespace"], meta["name"], body, manager=self.manager).obj

    def _cleanup(self, d: Obj, olds: list[Obj]) -> None:
        limit = (d.get("spec") or {}).get("revisionHistoryLimit")
        if limit is None:
            return
        cleanable = [rs for rs in olds if not rs["metadata"].get("deletionTimestamp")]
        surplus = len(cleanable) - int(limit)
        for rs in sorted(cleanable, key=rollouts.revision)[: max(surplus, 0)]:
            status = rs.get("status") or {}
            if status.get("replicas") or rollouts.spec_replicas(rs) or \
                    rs["metadata"].get("generation", 1) > status.get("observedGeneration", 0):
                continue
            try:
                self.api.delete(self.rs_rt, rs["metadata"]["namespace"], rs["metadata"]["name"])
            except statuses.ApiError:
                continue

    # --- status ---------------------------------------------------------------------------------------

    def _write(self, d: Obj, status: Obj, metadata: Obj | None) -> Obj:
        written = self.write_status(d, status, metadata=metadata)
        cond = objects.condition(written.get("status"), "Progressing")
        uid = d["metadata"]["uid"]
        if cond is not None and self._progress.get(uid, ("",))[0] != cond.get("lastUpdateTime"):
            self._progress[uid] = (cond.get("lastUpdateTime", ""), self.ctx.now())
        return written

    def _sync_status(self, d: Obj, rss: list[Obj], new: Obj | None) -> Obj:
        status = rollouts.calculate_status(d, rss, new, now=self.api.now())
        return self._write(d, status, None) if status != d.get("status") else d

    def _check_paused(self, d: Obj) -> Obj:
        if not rollouts.has_progress_deadline(d):
            return d
        cond = objects.condition(d.get("status"), "Progressing")
        if cond is not None and cond.get("reason") == rollouts.TIMED_OUT:
            return d
        paused = bool((d.get("spec") or {}).get("paused"))
        shown = cond is not None and cond.get("reason") == rollouts.PAUSED
        if paused == shown:
            return d
        reason, message = (rollouts.PAUSED, "Deployment is paused") if paused else (
            rollouts.RESUMED, "Deployment is resumed")
        status = dict(d.get("status") or {})
        status["conditions"] = objects.set_condition(list(status.get("conditions") or []), rollouts.condition(
            "Progressing", "Unknown", reason, message, self.api.now()))
        return self._write(d, status, None)

    def _sync_rollout(self, d: Obj, olds: list[Obj], new: Obj | None) -> float | None:
        """syncRolloutStatus: counts, Available, Progressing (with the deadline), ReplicaFailure."""
        now = self.api.now()
        all_rss = olds + ([new] if new is not None else [])
        old_status = d.get("status") or {}
        status = rollouts.calculate_status(d, all_rss, new, now=now)
        conditions = list(status["conditions"])
        deadline = rollouts.has_progress_deadline(d)
        if not deadline:
            conditions = objects.without_condition(conditions, "Progressing")
        current = objects.condition(old_status, "Progressing")
        finished = status.get("replicas", 0) == status.get("updatedReplicas", 0) and current is not None and \
            current.get("reason") == rollouts.NEW_RS_AVAILABLE
        rs_name = new["metadata"]["name"] if new is not None else None
        if deadline and not finished:
            if rollouts.complete(d, status):
                message = f'ReplicaSet "{rs_name}" has successfully progressed.' if rs_name else \
                    "Deployment has successfully progressed."
                conditions = objects.set_condition(conditions, rollouts.condition(
                    "Progressing", "True", rollouts.NEW_RS_AVAILABLE, message, now))
            elif rollouts.progressing(old_status, status):
                message = f'ReplicaSet "{rs_name}" is progressing.' if rs_name else "Deployment is progressing."
                cond = rollouts.condition("Progressing", "True", rollouts.RS_UPDATED, message, now)
                if current is not None and current.get("status") == "True":
                    cond["lastTransitionTime"] = current.get("lastTransitionTime", now)
                conditions = objects.without_condition(conditions, "Progressing") + [cond]
            elif self._timed_out(d, conditions):
                message = f'ReplicaSet "{rs_name}" has timed out progressing.' if rs_name else \
                    "Deployment has timed out progressing."
                conditions = objects.set_condition(conditions, rollouts.condition(
                    "Progressing", "False", rollouts.TIMED_OUT, message, now))
        failures = [c for rs in all_rss for c in (rs.get("status") or {}).get("conditions") or ()
                    if c.get("type") == "ReplicaFailure" and c.get("status") == "True"]
        if failures:
            conditions = objects.set_condition(conditions, rollouts.condition(
                "ReplicaFailure", "True", failures[0].get("reason", "FailedCreate"), failures[0].get("message", ""),
                now))
        else:
            conditions = objects.without_condition(conditions, "ReplicaFailure")
        status["conditions"] = conditions
        if status != old_status:
            d = self._write(d, status, None)
        return self._deadline_wait(d)

    def _progress_since(self, d: Obj, cond: Obj) -> float | None:
        recorded = self._progress.get(d["metadata"]["uid"])
        if recorded is not None and recorded[0] == cond.get("lastUpdateTime"):
            return recorded[1]
        return times.parse(cond.get("lastUpdateTime"))

    def _deadline(self, d: Obj) -> float:
        return self.timing.scaled(float((d.get("spec") or {}).get("progressDeadlineSeconds") or 0))

    def _timed_out(self, d: Obj, conditions: list[Obj]) -> bool:
        cond = next((c for c in conditions if c.get("type") == "Progressing"), None)
        if cond is None or cond.get("reason") == rollouts.NEW_RS_AVAILABLE:
            return False
        if cond.get("reason") == rollouts.TIMED_OUT:
            return True
        since = self._progress_since(d, cond)
        return since is not None and since + self._deadline(d) < self.ctx.now()

    def _deadline_wait(self, d: Obj) -> float | None:
        """Seconds until the progress deadline passes, when it still can."""
        if not rollouts.has_progress_deadline(d) or (d.get("spec") or {}).get("paused"):
            return None
        cond = objects.condition(d.get("status"), "Progressing")
        if cond is None or cond.get("reason") in (rollouts.NEW_RS_AVAILABLE, rollouts.TIMED_OUT):
            return None
        since = self._progress_since(d, cond)
        if since is None:
            return None
        return max(0.0, since + self._deadline(d) - self.ctx.now()) + 0.01


__all__ = ["Deployments"]

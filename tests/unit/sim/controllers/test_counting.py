"""Workload bookkeeping: which pods a ReplicaSet deletes first, its status, Job index ranges."""

from __future__ import annotations

from deploykit.sim.controllers import jobs, replicasets


def pod(name, *, node=None, phase="Running", ready=False, restarts=0, created="2026-01-01T00:00:00Z"):
    conditions = [{"type": "Ready", "status": "True" if ready else "False",
                   "lastTransitionTime": "2026-01-01T00:00:00Z"}]
    return {"metadata": {"name": name, "creationTimestamp": created, "labels": {"app": "web"}},
            "spec": {"nodeName": node} if node else {},
            "status": {"phase": phase, "conditions": conditions, "containerStatuses": [{"restartCount": restarts}]}}


def test_scale_down_removes_unscheduled_then_unready_then_crashing_then_newest():
    """Scaling down keeps the healthiest, oldest pods, as the ReplicaSet controller ranks them."""
    ready_old = pod("ready-old", node="n", ready=True, created="2026-01-01T00:00:00Z")
    ready_new = pod("ready-new", node="n", ready=True, created="2026-01-01T00:00:05Z")
    crashing = pod("crashing", node="n", restarts=5)
    unready = pod("unready", node="n")
    pending = pod("pending", phase="Pending")
    order = replicasets.deletion_order([ready_old, ready_new, crashing, unready, pending])
    assert [p["metadata"]["name"] for p in order] == ["pending", "crashing", "unready", "ready-new", "ready-old"]


def test_replica_set_status_counts_only_active_pods():
    """Pods being deleted or finished are not replicas; ready and available are counted apart."""
    rs = {"metadata": {"generation": 2}, "spec": {"template": {"metadata": {"labels": {"app": "web"}}}}}
    gone = pod("gone", node="n", ready=True)
    gone["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:09Z"
    status = replicasets.replica_status(rs, [pod("a", node="n", ready=True), pod("b", node="n"), gone,
                                             pod("done", phase="Succeeded")], min_ready=0, now=0)
    assert status == {"replicas": 2, "fullyLabeledReplicas": 2, "readyReplicas": 1, "availableReplicas": 1,
                      "observedGeneration": 2}


def test_completed_indexes_are_listed_as_ranges():
    """completedIndexes reads `0-2,5` like the real Job status."""
    assert jobs.index_ranges({0, 1, 2, 5}) == "0-2,5"
    assert jobs.index_ranges({3}) == "3"
    assert jobs.index_ranges(set()) == ""

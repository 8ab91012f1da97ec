"""Deployment rollout arithmetic: surge, unavailability, scale-up and scale-down steps, status, progress."""

from __future__ import annotations

import pytest

from deploykit.sim.controllers import rollouts

NOW = "2026-01-01T00:00:00Z"


def deployment(replicas=3, *, surge="25%", unavailable="25%", strategy="RollingUpdate", generation=1,
               status=None, deadline=600):
    spec = {"replicas": replicas, "strategy": {"type": strategy}, "progressDeadlineSeconds": deadline}
    if strategy == "RollingUpdate":
        spec["strategy"]["rollingUpdate"] = {"maxSurge": surge, "maxUnavailable": unavailable}
    return {"metadata": {"name": "web", "generation": generation, "annotations": {}}, "spec": spec,
            "status": status or {}}


def rs(name, replicas, *, available=0, ready=None, actual=None, created="2026-01-01T00:00:00Z", revision=None,
       annotations=None):
    meta = {"name": name, "creationTimestamp": created, "annotations": dict(annotations or {})}
    if revision is not None:
        meta["annotations"]["deployment.kubernetes.io/revision"] = str(revision)
    return {"metadata": meta, "spec": {"replicas": replicas},
            "status": {"replicas": replicas if actual is None else actual, "availableReplicas": available,
                       "readyReplicas": available if ready is None else ready}}


@pytest.mark.parametrize("replicas, surge, unavailable, expected", [
    (3, "25%", "25%", (1, 0)),
    (4, "25%", "25%", (1, 1)),
    (10, "25%", "25%", (3, 2)),
    (3, 0, 0, (0, 1)),
    (3, 1, 0, (1, 0)),
    (5, "50%", "50%", (3, 2)),
])
def test_fenceposts_round_surge_up_and_unavailability_down(replicas, surge, unavailable, expected):
    """3 replicas at 25%/25% may surge 1 and lose none, as the real controller computes."""
    assert rollouts.fenceposts(deployment(replicas, surge=surge, unavailable=unavailable)) == expected


def test_recreate_allows_no_surge_and_no_unavailability_floor():
    """Recreate Deployments are Available only with every replica available."""
    d = deployment(3, strategy="Recreate")
    assert (rollouts.max_surge(d), rollouts.max_unavailable(d)) == (0, 0)


def test_new_replica_set_grows_within_the_surge():
    """With 3 old pods and surge 1, the new ReplicaSet starts with 1 replica."""
    d = deployment(3)
    old, new = rs("old", 3, available=3), rs("new", 0)
    assert rollouts.new_rs_replicas(d, [old, new], new) == 1


def test_new_replica_set_waits_when_the_surge_is_used():
    """At 3 old + 1 new with surge 1, the new ReplicaSet may not grow until old ones shrink."""
    d = deployment(3)
    old, new = rs("old", 3, available=3), rs("new", 1)
    assert rollouts.new_rs_replicas(d, [old, new], new) == 1


def test_old_replica_sets_shrink_only_above_the_availability_floor():
    """maxUnavailable 0: an old pod goes only once a new pod is available."""
    d = deployment(3, surge=1, unavailable=0)
    old, new = rs("old", 3, available=3), rs("new", 1, available=0)
    all_rss = [old, new]
    assert rollouts.old_scale_down_budget(all_rss, [old], new, d) == 0
    new_available = rs("new", 1, available=1)
    assert rollouts.old_scale_down_budget([old, new_available], [old], new_available, d) == 1
    assert rollouts.scale_down_old([old, new_available], [old], d) == [(old, 2)]


def test_unhealthy_old_replicas_are_removed_first():
    """An old ReplicaSet with unavailable pods loses those before healthy ones are touched."""
    d = deployment(3)
    sick = rs("sick", 2, available=0, created="2026-01-01T00:00:01Z")
    plan = rollouts.cleanup_unhealthy([sick], d, budget=5)
    assert plan == [(sick, 0)]


def test_status_counts_and_availability_condition():
    """replicas/updated/ready/available/unavailable and Available follow the ReplicaSets."""
    d = deployment(3)
    old, new = rs("old", 2, available=2), rs("new", 2, available=1, ready=1)
    status = rollouts.calculate_status(d, [old, new], new, now=NOW)
    assert {k: v for k, v in status.items() if k != "conditions"} == {
        "observedGeneration": 1, "replicas": 4, "updatedReplicas": 2, "readyReplicas": 3, "availableReplicas": 3,
        "unavailableReplicas": 1}
    (available,) = status["conditions"]
    assert (available["type"], available["status"], available["reason"]) == ("Available", "True",
                                                                              "MinimumReplicasAvailable")


def test_no_available_replicas_means_minimum_unavailable():
    """A fresh Deployment shows Available False / MinimumReplicasUnavailable."""
    d = deployment(3)
    status = rollouts.calculate_status(d, [rs("new", 3)], None, now=NOW)
    (cond,) = status["conditions"]
    assert (cond["status"], cond["reason"], cond["message"]) == (
        "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.")


def test_zero_counts_are_omitted_as_the_api_does():
    """Zero counters are omitempty fields and do not appear in the status."""
    status = rollouts.calculate_status(deployment(0), [], None, now=NOW)
    assert set(status) == {"observedGeneration", "conditions"}


def test_complete_needs_every_counter_and_the_observed_generation():
    """A stale observedGeneration is never taken as complete."""
    d = deployment(2, generation=2)
    done = {"updatedReplicas": 2, "replicas": 2, "availableReplicas": 2, "observedGeneration": 2}
    assert rollouts.complete(d, done)
    assert not rollouts.complete(d, dict(done, observedGeneration=1))
    assert not rollouts.complete(d, dict(done, replicas=3))


@pytest.mark.parametrize("old, new, expected", [
    ({"updatedReplicas": 1}, {"updatedReplicas": 2}, True),
    ({"readyReplicas": 1}, {"readyReplicas": 2}, True),
    ({"replicas": 4, "updatedReplicas": 1}, {"replicas": 3, "updatedReplicas": 1}, True),
    ({"replicas": 3, "updatedReplicas": 1, "availableReplicas": 2}, {"replicas": 3, "updatedReplicas": 1,
                                                                     "availableReplicas": 2}, False),
])
def test_progress_is_any_counter_moving_the_right_way(old, new, expected):
    """A stuck rollout (nothing moves) is what the progress deadline measures."""
    assert rollouts.progressing(old, new) is expected


def test_new_revision_annotations_on_a_created_replica_set():
    """A new ReplicaSet carries revision, desired-replicas and max-replicas (replicas + surge)."""
    d = deployment(3)
    d["metadata"]["annotations"] = {"team": "a", "kubectl.kubernetes.io/last-applied-configuration": "{}"}
    annotations = rollouts.new_rs_annotations(d, rs("new", 0), 2, exists=False)
    assert annotations == {"team": "a", "deployment.kubernetes.io/revision": "2",
                           "deployment.kubernetes.io/desired-replicas": "3",
                           "deployment.kubernetes.io/max-replicas": "4"}


def test_a_template_seen_again_gets_a_new_revision_and_history():
    """rollout undo: the old ReplicaSet becomes the newest revision and remembers its old number."""
    old = rs("v1", 0, revision=1)
    annotations = rollouts.new_rs_annotations(deployment(3), old, 3, exists=True)
    assert annotations["deployment.kubernetes.io/revision"] == "3"
    assert annotations["deployment.kubernetes.io/revision-history"] == "1"


def test_the_current_revision_is_left_alone():
    """A steady Deployment does not rewrite its ReplicaSet's annotations on every sync."""
    current = rs("v2", 3, revision=2)
    assert rollouts.new_rs_annotations(deployment(3), current, 2, exists=True) is None


def test_only_one_active_replica_set_is_scaled_directly():
    """A scale of a Deployment at rest resizes its one active ReplicaSet."""
    only = rs("v2", 3, created="2026-01-01T00:00:02Z")
    idle = rs("v1", 0, created="2026-01-01T00:00:01Z")
    assert rollouts.active_or_latest(only, [idle]) is only
    assert rollouts.active_or_latest(only, [rs("v1", 1)]) is None


def test_proportional_scaling_splits_new_replicas_between_active_sets():
    """Scaling 10 -> 20 mid-rollout grows both ReplicaSets in proportion, keeping the total at replicas + surge."""
    d = deployment(20, surge=3, unavailable=2)
    a = rs("a", 8, created="2026-01-01T00:00:01Z", annotations={"deployment.kubernetes.io/max-replicas": "13"})
    b = rs("b", 5, created="2026-01-01T00:00:02Z", annotations={"deployment.kubernetes.io/max-replicas": "13"})
    sizes, operation = rollouts.proportional(d, [a, b])
    assert operation == "up"
    assert sum(size for _, size in sizes) == 23
    assert dict((r["metadata"]["name"], size) for r, size in sizes) == {"a": 14, "b": 9}

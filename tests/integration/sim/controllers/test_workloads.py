"""StatefulSets, DaemonSets and Jobs on the simulated cluster, read through the official Python client."""

from __future__ import annotations

import pytest
from kubernetes import watch

from tests.integration.sim.controllers import manifests as m


@pytest.fixture
def plain(cluster_client):
    return cluster_client.sanitize_for_serialization


def statefulset(name, *, replicas=3, template=None, **spec):
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": name},
            "spec": {"replicas": replicas, "serviceName": name, "selector": {"matchLabels": {"app": name}},
                     "template": template or m.pod_template(name), **spec}}


def daemonset(name, *, template=None):
    return {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": name},
            "spec": {"selector": {"matchLabels": {"app": name}}, "template": template or m.pod_template(name)}}


# --- StatefulSets ---------------------------------------------------------------------------------


def sts(apps, plain, ns, name):
    return plain(apps.read_namespaced_stateful_set(name, ns))


def sts_ready(obj, replicas):
    status = obj.get("status") or {}
    return status.get("readyReplicas") == replicas and status.get("updatedReplicas") == replicas and \
        status.get("currentRevision") == status.get("updateRevision") and status.get("replicas") == replicas


def test_a_statefulset_creates_its_pods_in_order(cluster_apps, cluster_core, plain, sim_cluster_namespace,
                                                 wait_until):
    """db-0 is Running and Ready before db-1 exists (OrderedReady), and the status says Ready 3/3."""
    ns = sim_cluster_namespace
    start = cluster_core.list_namespaced_pod(ns).metadata.resource_version
    cluster_apps.create_namespaced_stateful_set(ns, statefulset("db"))
    d = wait_until(lambda: (lambda o: sts_ready(o, 3) and o)(sts(cluster_apps, plain, ns, "db")), what="db ready")
    ready_when_next_created, ready = [], set()
    stream = watch.Watch()
    for event in stream.stream(cluster_core.list_namespaced_pod, ns, resource_version=start, timeout_seconds=5):
        pod = plain(event["object"])
        name = pod["metadata"]["name"]
        if event["type"] == "ADDED":
            ready_when_next_created.append((name, sorted(ready)))
        if (m.condition(pod, "Ready") or {}).get("status") == "True":
            ready.add(name)
        if len(ready) == 3:
            stream.stop()
    assert ready_when_next_created == [("db-0", []), ("db-1", ["db-0"]), ("db-2", ["db-0", "db-1"])]
    pods = sorted((plain(p) for p in cluster_core.list_namespaced_pod(ns).items), key=lambda p: p["metadata"]["name"])
    revision = d["status"]["updateRevision"]
    assert revision.startswith("db-")
    for index, pod in enumerate(pods):
        assert pod["metadata"]["labels"]["controller-revision-hash"] == revision
        assert pod["metadata"]["labels"]["statefulset.kubernetes.io/pod-name"] == f"db-{index}"
        assert pod["metadata"]["labels"]["apps.kubernetes.io/pod-index"] == str(index)
        assert (pod["spec"]["hostname"], pod["spec"]["subdomain"]) == (f"db-{index}", "db")
    (history,) = cluster_apps.list_namespaced_controller_revision(ns).items
    assert (history.metadata.name, history.revision) == (revision, 1)
    assert d["status"]["availableReplicas"] == 3 and d["status"]["currentReplicas"] == 3
    events = [e.message for e in cluster_core.list_namespaced_event(ns, field_selector="reason=SuccessfulCreate").items]
    assert events == ["create Pod db-0 in StatefulSet db successful", "create Pod db-1 in StatefulSet db successful",
                      "create Pod db-2 in StatefulSet db successful"]


def test_a_parallel_statefulset_creates_every_pod_at_once(cluster_apps, cluster_core, plain, sim_cluster_namespace,
                                                          wait_until):
    """podManagementPolicy Parallel: db-0..2 exist before any of them is ready."""
    ns = sim_cluster_namespace
    start = cluster_core.list_namespaced_pod(ns).metadata.resource_version
    cluster_apps.create_namespaced_stateful_set(ns, statefulset("db", podManagementPolicy="Parallel"))
    added, ready_seen = [], False
    stream = watch.Watch()
    for event in stream.stream(cluster_core.list_namespaced_pod, ns, resource_version=start, timeout_seconds=5):
        pod = plain(event["object"])
        if event["type"] == "ADDED":
            added.append((pod["metadata"]["name"], ready_seen))
        if (m.condition(pod, "Ready") or {}).get("status") == "True":
            ready_seen = True
        if len(added) == 3:
            stream.stop()
    assert added == [("db-0", False), ("db-1", False), ("db-2", False)]


def test_a_statefulset_update_rolls_from_the_highest_ordinal(cluster_apps, cluster_core, plain,
                                                             sim_cluster_namespace, wait_until):
    """A template change makes a new revision; pods are replaced db-2, db-1, db-0 and currentRevision follows."""
    ns = sim_cluster_namespace
    cluster_apps.create_namespaced_stateful_set(ns, statefulset("db"))
    first = wait_until(lambda: (lambda o: sts_ready(o, 3) and o)(sts(cluster_apps, plain, ns, "db")),
                       what="db ready")["status"]["updateRevision"]
    cluster_apps.patch_namespaced_stateful_set("db", ns, {"spec": {"template": {"metadata": {"annotations": {
        "version": "2"}}}}})
    done = wait_until(lambda: (lambda o: sts_ready(o, 3) and o["status"]["updateRevision"] != first and o)(
        sts(cluster_apps, plain, ns, "db")), timeout=10, what="update rolled")
    second = done["status"]["updateRevision"]
    assert done["status"]["currentRevision"] == second
    deleted = [e.message for e in cluster_core.list_namespaced_event(ns, field_selector="reason=SuccessfulDelete").items]
    assert deleted == ["delete Pod db-2 in StatefulSet db successful", "delete Pod db-1 in StatefulSet db successful",
                       "delete Pod db-0 in StatefulSet db successful"]
    revisions = sorted((r.revision, r.metadata.name) for r in cluster_apps.list_namespaced_controller_revision(ns).items)
    assert revisions == [(1, first), (2, second)]


def test_volume_claim_templates_make_one_bound_claim_per_pod(cluster_apps, cluster_core, plain,
                                                             sim_cluster_namespace, wait_until):
    """data-db-0 and data-db-1 exist, are Bound, and each pod mounts its own."""
    ns = sim_cluster_namespace
    claim = {"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"],
                                                    "resources": {"requests": {"storage": "1Gi"}}}}
    cluster_apps.create_namespaced_stateful_set(ns, statefulset("db", replicas=2, volumeClaimTemplates=[claim]))
    wait_until(lambda: sts_ready(sts(cluster_apps, plain, ns, "db"), 2), what="db ready")
    claims = {c.metadata.name: c for c in cluster_core.list_namespaced_persistent_volume_claim(ns).items}
    assert sorted(claims) == ["data-db-0", "data-db-1"]
    assert {c.status.phase for c in claims.values()} == {"Bound"}
    assert claims["data-db-0"].status.capacity == {"storage": "1Gi"}
    pod = plain(cluster_core.read_namespaced_pod("db-1", ns))
    assert {"name": "data", "persistentVolumeClaim": {"claimName": "data-db-1"}} in pod["spec"]["volumes"]


def test_scaling_a_statefulset_down_removes_the_highest_ordinals(cluster_apps, cluster_core, plain,
                                                                 sim_cluster_namespace, wait_until):
    """Scale 3 -> 1 keeps db-0."""
    ns = sim_cluster_namespace
    cluster_apps.create_namespaced_stateful_set(ns, statefulset("db"))
    wait_until(lambda: sts_ready(sts(cluster_apps, plain, ns, "db"), 3), what="db ready")
    cluster_apps.patch_namespaced_stateful_set_scale("db", ns, {"spec": {"replicas": 1}})
    wait_until(lambda: [p.metadata.name for p in cluster_core.list_namespaced_pod(ns).items] == ["db-0"],
               what="only db-0 left")


# --- DaemonSets -----------------------------------------------------------------------------------


def test_a_daemonset_runs_one_pod_on_every_node(cluster_apps, cluster_core, plain, sim_cluster_namespace,
                                                wait_until):
    """Three nodes, three pods, each pinned to its node; the status counts them all ready and up to date."""
    ns = sim_cluster_namespace
    cluster_apps.create_namespaced_daemon_set(ns, daemonset("agent"))
    ds = wait_until(lambda: (lambda o: (o.get("status") or {}).get("numberReady") == 3 and o)(
        plain(cluster_apps.read_namespaced_daemon_set("agent", ns))), what="agent ready")
    status = ds["status"]
    assert {k: status.get(k) for k in ("desiredNumberScheduled", "currentNumberScheduled", "numberReady",
                                       "updatedNumberScheduled", "numberAvailable", "numberMisscheduled",
                                       "observedGeneration")} == {
        "desiredNumberScheduled": 3, "currentNumberScheduled": 3, "numberReady": 3, "updatedNumberScheduled": 3,
        "numberAvailable": 3, "numberMisscheduled": 0, "observedGeneration": 1}
    pods = [plain(p) for p in cluster_core.list_namespaced_pod(ns).items]
    assert sorted(p["spec"]["nodeName"] for p in pods) == ["sim-node-1", "sim-node-2", "sim-node-3"]
    assert {p["metadata"]["labels"]["pod-template-generation"] for p in pods} == {"1"}
    assert all(p["metadata"]["labels"]["controller-revision-hash"] for p in pods)


def test_a_daemonset_with_a_node_selector_skips_other_nodes(cluster_apps, cluster_core, plain,
                                                            sim_cluster_namespace, wait_until):
    """nodeSelector kubernetes.io/hostname=sim-node-2: one pod, on that node."""
    ns = sim_cluster_namespace
    template = m.pod_template("agent", nodeSelector={"kubernetes.io/hostname": "sim-node-2"})
    cluster_apps.create_namespaced_daemon_set(ns, daemonset("agent", template=template))
    wait_until(lambda: (plain(cluster_apps.read_namespaced_daemon_set("agent", ns)).get("status") or {}).get(
        "numberReady") == 1, what="agent ready")
    assert [p.spec.node_name for p in cluster_core.list_namespaced_pod(ns).items] == ["sim-node-2"]


# --- Jobs -----------------------------------------------------------------------------------------


def job_of(batch, plain, ns, name):
    return plain(batch.read_namespaced_job(name, ns))


def finished(obj):
    return any(c["type"] in ("Complete", "Failed") and c["status"] == "True"
               for c in (obj.get("status") or {}).get("conditions") or ())


def test_a_job_completes_after_its_completions(cluster_batch, cluster_core, plain, sim_cluster_namespace,
                                               wait_until):
    """completions 3 / parallelism 2: three pods succeed, SuccessCriteriaMet then Complete, event Completed."""
    ns = sim_cluster_namespace
    cluster_batch.create_namespaced_job(ns, m.job("migrate", completions=3, parallelism=2))
    job = wait_until(lambda: (lambda o: finished(o) and o)(job_of(cluster_batch, plain, ns, "migrate")),
                     what="job finished")
    status = job["status"]
    assert [(c["type"], c["status"], c["reason"]) for c in status["conditions"]] == [
        ("SuccessCriteriaMet", "True", "CompletionsReached"), ("Complete", "True", "CompletionsReached")]
    assert status["conditions"][1]["message"] == "Reached expected number of succeeded pods"
    assert (status["succeeded"], status.get("failed"), status.get("active"), status["ready"]) == (3, None, None, 0)
    assert status["startTime"] and status["completionTime"]
    pods = [plain(p) for p in cluster_core.list_namespaced_pod(ns).items]
    assert len(pods) == 3 and {p["status"]["phase"] for p in pods} == {"Succeeded"}
    uid = job["metadata"]["uid"]
    assert all(p["metadata"]["labels"]["batch.kubernetes.io/job-name"] == "migrate" and
               p["metadata"]["labels"]["batch.kubernetes.io/controller-uid"] == uid for p in pods)
    (completed,) = cluster_core.list_namespaced_event(ns, field_selector="reason=Completed").items
    assert (completed.message, completed.source.component) == ("Job completed", "job-controller")


def test_a_failing_job_stops_at_its_backoff_limit(cluster_batch, cluster_core, plain, sim_cluster_namespace,
                                                  wait_until):
    """exit:1 with backoffLimit 1: two failed pods, FailureTarget then Failed / BackoffLimitExceeded."""
    ns = sim_cluster_namespace
    cluster_batch.create_namespaced_job(ns, m.job("migrate", annotations={m.BEHAVIOR: "exit:1"}, backoffLimit=1))
    job = wait_until(lambda: (lambda o: finished(o) and o)(job_of(cluster_batch, plain, ns, "migrate")),
                     timeout=10, what="job failed")
    status = job["status"]
    assert [(c["type"], c["reason"]) for c in status["conditions"]] == [
        ("FailureTarget", "BackoffLimitExceeded"), ("Failed", "BackoffLimitExceeded")]
    assert status["conditions"][1]["message"] == "Job has reached the specified backoff limit"
    assert status["failed"] == 2 and "completionTime" not in status
    pods = cluster_core.list_namespaced_pod(ns).items
    assert len(pods) == 2 and {p.status.phase for p in pods} == {"Failed"}
    (warning,) = cluster_core.list_namespaced_event(ns, field_selector="reason=BackoffLimitExceeded").items
    assert (warning.type, warning.message) == ("Warning", "Job has reached the specified backoff limit")


def test_a_job_past_its_active_deadline_fails_and_its_pods_are_deleted(cluster_batch, cluster_core, plain,
                                                                      sim_cluster_namespace, wait_until):
    """activeDeadlineSeconds: Failed / DeadlineExceeded, the running pod removed."""
    ns = sim_cluster_namespace
    body = m.job("slow", annotations={m.BEHAVIOR: "exit-after:1h"}, activeDeadlineSeconds=2)
    cluster_batch.create_namespaced_job(ns, body)
    job = wait_until(lambda: (lambda o: finished(o) and o)(job_of(cluster_batch, plain, ns, "slow")),
                     what="job failed")
    assert [(c["type"], c["reason"]) for c in job["status"]["conditions"]] == [
        ("FailureTarget", "DeadlineExceeded"), ("Failed", "DeadlineExceeded")]
    wait_until(lambda: not cluster_core.list_namespaced_pod(ns).items, what="pod deleted")


def test_indexed_jobs_run_each_index_once(cluster_batch, cluster_core, plain, sim_cluster_namespace, wait_until):
    """completionMode Indexed: pods for indexes 0-2 with JOB_COMPLETION_INDEX, completedIndexes 0-2."""
    ns = sim_cluster_namespace
    cluster_batch.create_namespaced_job(ns, m.job("shards", completions=3, parallelism=3, completionMode="Indexed"))
    job = wait_until(lambda: (lambda o: finished(o) and o)(job_of(cluster_batch, plain, ns, "shards")),
                     what="job finished")
    assert job["status"]["completedIndexes"] == "0-2"
    pods = [plain(p) for p in cluster_core.list_namespaced_pod(ns).items]
    indexes = sorted(p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"] for p in pods)
    assert indexes == ["0", "1", "2"]
    assert all({"name": "JOB_COMPLETION_INDEX", "value": p["metadata"]["annotations"][
        "batch.kubernetes.io/job-completion-index"]} in p["spec"]["containers"][0]["env"] for p in pods)


def test_a_finished_job_with_a_ttl_is_deleted(cluster_batch, plain, sim_cluster_namespace, wait_until):
    """ttlSecondsAfterFinished 0: the Job goes once it completed."""
    ns = sim_cluster_namespace
    cluster_batch.create_namespaced_job(ns, m.job("once", ttlSecondsAfterFinished=0))
    wait_until(lambda: m.gone(lambda: cluster_batch.read_namespaced_job("once", ns)), what="job deleted")

"""Deployments on the simulated cluster, driven through the official Python client, step by step."""

from __future__ import annotations

import time

import pytest
from kubernetes import watch
from kubernetes.client.exceptions import ApiException

from tests.integration.sim.controllers import manifests as m


@pytest.fixture
def plain(cluster_client):
    """Models from the client as the API's JSON (camelCase fields), to compare with what a cluster shows."""
    return cluster_client.sanitize_for_serialization


def watch_until(list_call, namespace, plain, done, *, timeout=10.0, **selector):
    """Stream watch events of a collection; returns every object seen until `done(obj)` holds."""
    seen = []
    deadline = time.monotonic() + timeout
    stream = watch.Watch()
    for event in stream.stream(list_call, namespace, timeout_seconds=int(timeout) + 1, **selector):
        obj = plain(event["object"])
        seen.append((event["type"], obj))
        if done(obj) or time.monotonic() > deadline:
            stream.stop()
    return seen


def rolled_out(d):
    status, replicas = d.get("status") or {}, d["spec"]["replicas"]
    progressing = m.condition(d, "Progressing") or {}
    return (status.get("observedGeneration") == d["metadata"]["generation"]
            and status.get("updatedReplicas", 0) == replicas and status.get("replicas", 0) == replicas
            and status.get("availableReplicas", 0) == replicas and progressing.get("reason") == "NewReplicaSetAvailable")


def read(apps, plain, ns, name):
    return plain(apps.read_namespaced_deployment(name, ns))


def test_a_deployment_becomes_available_with_the_status_the_real_controller_writes(cluster_apps, plain,
                                                                                     sim_cluster_namespace, wait_until):
    """observedGeneration, the replica counters and both conditions match a real rolled-out Deployment."""
    ns = sim_cluster_namespace
    cluster_apps.create_namespaced_deployment(ns, m.deployment("web"))
    d = wait_until(lambda: rolled_out(read(cluster_apps, plain, ns, "web")) and read(cluster_apps, plain, ns, "web"),
                   what="web rolled out")
    status = d["status"]
    assert {k: status[k] for k in ("observedGeneration", "replicas", "updatedReplicas", "readyReplicas",
                                   "availableReplicas")} == {"observedGeneration": 1, "replicas": 3,
                                                             "updatedReplicas": 3, "readyReplicas": 3,
                                                             "availableReplicas": 3}
    assert "unavailableReplicas" not in status
    available, progressing = m.condition(d, "Available"), m.condition(d, "Progressing")
    assert (available["status"], available["reason"], available["message"]) == (
        "True", "MinimumReplicasAvailable", "Deployment has minimum availability.")
    rs_name = progressing["message"].split('"')[1]
    assert (progressing["status"], progressing["reason"], progressing["message"]) == (
        "True", "NewReplicaSetAvailable", f'ReplicaSet "{rs_name}" has successfully progressed.')
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "1"
    assert d["metadata"]["generation"] == 1


def test_the_conditions_move_through_created_updated_available(cluster_apps, plain, sim_cluster_namespace):
    """Progressing goes NewReplicaSetCreated -> ReplicaSetUpdated -> NewReplicaSetAvailable; Available False -> True."""
    ns = sim_cluster_namespace
    created = cluster_apps.create_namespaced_deployment(ns, m.deployment("web"))
    seen = watch_until(cluster_apps.list_namespaced_deployment, ns, plain, rolled_out,
                       resource_version=created.metadata.resource_version)
    reasons, available = [], []
    for _, d in seen:
        progressing, avail = m.condition(d, "Progressing"), m.condition(d, "Available")
        if progressing and (not reasons or reasons[-1] != progressing["reason"]):
            reasons.append(progressing["reason"])
        if avail and (not available or available[-1] != avail["status"]):
            available.append(avail["status"])
    assert reasons == ["NewReplicaSetCreated", "ReplicaSetUpdated", "NewReplicaSetAvailable"]
    assert available == ["False", "True"]
    unavailable = [d["status"].get("unavailableReplicas") for _, d in seen if d.get("status")]
    assert 3 in unavailable


def test_the_replica_set_and_pods_are_named_labelled_and_owned(cluster_apps, cluster_core, plain,
                                                              sim_cluster_namespace, wait_until):
    """`web-<hash>` with the pod-template-hash label and selector, revision annotations, controller references."""
    ns = sim_cluster_namespace
    created = plain(cluster_apps.create_namespaced_deployment(ns, m.deployment("web")))
    wait_until(lambda: rolled_out(read(cluster_apps, plain, ns, "web")), what="web rolled out")
    (rs,) = [plain(r) for r in cluster_apps.list_namespaced_replica_set(ns).items]
    pod_hash = rs["metadata"]["labels"]["pod-template-hash"]
    assert rs["metadata"]["name"] == f"web-{pod_hash}"
    assert rs["spec"]["selector"]["matchLabels"] == {"app": "web", "pod-template-hash": pod_hash}
    assert rs["spec"]["template"]["metadata"]["labels"] == {"app": "web", "pod-template-hash": pod_hash}
    assert {k: v for k, v in rs["metadata"]["annotations"].items() if k.startswith("deployment.kubernetes.io")} == {
        "deployment.kubernetes.io/revision": "1", "deployment.kubernetes.io/desired-replicas": "3",
        "deployment.kubernetes.io/max-replicas": "4"}
    assert rs["metadata"]["ownerReferences"] == [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web",
                                                  "uid": created["metadata"]["uid"], "controller": True,
                                                  "blockOwnerDeletion": True}]
    pods = [plain(p) for p in cluster_core.list_namespaced_pod(ns, label_selector=f"pod-template-hash={pod_hash}").items]
    assert len(pods) == 3
    assert all(p["metadata"]["name"].startswith(f"web-{pod_hash}-") for p in pods)
    assert all(p["metadata"]["ownerReferences"][0]["uid"] == rs["metadata"]["uid"] for p in pods)
    managers = {e["manager"] for e in rs["metadata"]["managedFields"]}
    assert managers == {"kube-controller-manager"}


def pod_states(initial, seen):
    """Replay pod watch events over the `initial` pods into snapshots of {name: pod} after each event."""
    current, snapshots = {p["metadata"]["name"]: p for p in initial}, []
    for kind, pod in seen:
        if kind == "DELETED":
            current.pop(pod["metadata"]["name"], None)
        else:
            current[pod["metadata"]["name"]] = pod
        snapshots.append(dict(current))
    return snapshots


def ready(pod):
    return (m.condition(pod, "Ready") or {}).get("status") == "True" and not pod["metadata"].get("deletionTimestamp")


def test_a_rolling_update_stays_within_max_surge_and_max_unavailable(cluster_apps, cluster_core, plain,
                                                                    sim_cluster_namespace, wait_until):
    """maxSurge 1 / maxUnavailable 0: never more than 5 pods, never fewer than 4 ready, as on a real cluster."""
    ns = sim_cluster_namespace
    strategy = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
    cluster_apps.create_namespaced_deployment(ns, m.deployment("web", replicas=4, strategy=strategy))
    wait_until(lambda: rolled_out(read(cluster_apps, plain, ns, "web")), what="web rolled out")
    listed = cluster_core.list_namespaced_pod(ns)
    cluster_apps.patch_namespaced_deployment("web", ns, {"spec": {"template": {"spec": {"containers": [
        {"name": "app", "image": "registry.example.com/app:2.0"}]}}}})

    def finished(pod):
        d = read(cluster_apps, plain, ns, "web")
        return rolled_out(d) and d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2" and len(
            cluster_core.list_namespaced_pod(ns).items) == 4

    seen = watch_until(cluster_core.list_namespaced_pod, ns, plain, finished,
                       resource_version=listed.metadata.resource_version)
    snapshots = pod_states([plain(p) for p in listed.items], seen)
    alive = [[p for p in snap.values() if not p["metadata"].get("deletionTimestamp")] for snap in snapshots]
    assert max(len(pods) for pods in alive) == 5
    assert min(sum(1 for p in snap.values() if ready(p)) for snap in snapshots) >= 4
    images = {p.spec.containers[0].image for p in cluster_core.list_namespaced_pod(ns).items}
    assert images == {"registry.example.com/app:2.0"}


def test_recreate_removes_every_old_pod_before_creating_new_ones(cluster_apps, cluster_core, plain,
                                                                 sim_cluster_namespace, wait_until):
    """Strategy Recreate: old and new pods never exist at the same time."""
    ns = sim_cluster_namespace
    cluster_apps.create_namespaced_deployment(ns, m.deployment("web", replicas=2, strategy={"type": "Recreate"}))
    wait_until(lambda: rolled_out(read(cluster_apps, plain, ns, "web")), what="web rolled out")
    listed = cluster_core.list_namespaced_pod(ns)
    cluster_apps.patch_namespaced_deployment("web", ns, {"spec": {"template": {"metadata": {"labels": {
        "app": "web", "version": "2"}}}}})

    def finished(pod):
        d = read(cluster_apps, plain, ns, "web")
        return rolled_out(d) and d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"

    snapshots = pod_states([plain(p) for p in listed.items], watch_until(
        cluster_core.list_namespaced_pod, ns, plain, finished, resource_version=listed.metadata.resource_version))
    for snap in snapshots:
        versions = {p["metadata"]["labels"].get("version", "1") for p in snap.values()}
        assert len(versions) <= 1, versions
    assert {p.metadata.labels.get("version") for p in cluster_core.list_namespaced_pod(ns).items} == {"2"}


def test_a_stuck_rollout_exceeds_its_progress_deadline(cluster_apps, plain, sim_cluster_namespace, wait_until):
    """Pods that never become ready turn Progressing False / ProgressDeadlineExceeded once the deadline passes."""
    ns = sim_cluster_namespace
    template = m.pod_template("web", annotations={m.BEHAVIOR: "never-ready"})
    cluster_apps.create_namespaced_deployment(ns, m.deployment("web", replicas=1, template=template,
                                                               progressDeadlineSeconds=2))
    d = wait_until(lambda: ((m.condition(read(cluster_apps, plain, ns, "web"), "Progressing") or {}).get("reason")
                            == "ProgressDeadlineExceeded") and read(cluster_apps, plain, ns, "web"),
                   what="progress deadline exceeded")
    progressing = m.condition(d, "Progressing")
    rs_name = progressing["message"].split('"')[1]
    assert (progressing["status"], progressing["message"]) == ("False", f'ReplicaSet "{rs_name}" has timed out '
                                                                        f"progressing.")
    assert (m.condition(d, "Available")["status"], d["status"]["unavailableReplicas"]) == ("False", 1)


def test_scaling_resizes_the_replica_set_and_records_the_event(cluster_apps, cluster_core, plain,
                                                              sim_cluster_namespace, wait_until):
    """kubectl scale 3 -> 5 -> 1: pods follow, the ReplicaSet's desired-replicas follows, events say so."""
    ns = sim_cluster_namespace
    cluster_apps.create_namespaced_deployment(ns, m.deployment("web"))
    wait_until(lambda: rolled_out(read(cluster_apps, plain, ns, "web")), what="web rolled out")
    for replicas in (5, 1):
        cluster_apps.patch_namespaced_deployment_scale("web", ns, {"spec": {"replicas": replicas}})
        wait_until(lambda: rolled_out(read(cluster_apps, plain, ns, "web")) and len(
            [p for p in cluster_core.list_namespaced_pod(ns).items if not p.metadata.deletion_timestamp]) == replicas,
                   what=f"{replicas} replicas")
    (rs,) = [plain(r) for r in cluster_apps.list_namespaced_replica_set(ns).items]
    assert rs["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"] == "1"
    messages = [e.message for e in cluster_core.list_namespaced_event(
        ns, field_selector="involvedObject.kind=Deployment,reason=ScalingReplicaSet").items]
    name = rs["metadata"]["name"]
    assert messages == [f"Scaled up replica set {name} from 0 to 3", f"Scaled up replica set {name} from 3 to 5",
                        f"Scaled down replica set {name} from 5 to 1"]


def test_old_replica_sets_beyond_the_history_limit_are_deleted(cluster_apps, plain, sim_cluster_namespace,
                                                               wait_until):
    """revisionHistoryLimit 1 keeps the current ReplicaSet and one old one."""
    ns = sim_cluster_namespace
    cluster_apps.create_namespaced_deployment(ns, m.deployment("web", replicas=1, revisionHistoryLimit=1))
    for version in ("2", "3", "4"):
        cluster_apps.patch_namespaced_deployment("web", ns, {"spec": {"template": {"metadata": {"annotations": {
            "version": version}}}}})
        wait_until(lambda: rolled_out(read(cluster_apps, plain, ns, "web")) and read(
            cluster_apps, plain, ns, "web")["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == version,
                   what=f"revision {version}")
    revisions = wait_until(lambda: sorted(r.metadata.annotations["deployment.kubernetes.io/revision"]
                                          for r in cluster_apps.list_namespaced_replica_set(ns).items)
                           if len(cluster_apps.list_namespaced_replica_set(ns).items) == 2 else None,
                           what="two ReplicaSets left")
    assert revisions == ["3", "4"]


def test_a_paused_deployment_does_not_roll_out_until_resumed(cluster_apps, plain, sim_cluster_namespace,
                                                             wait_until):
    """Paused: a template change makes no ReplicaSet and Progressing says DeploymentPaused; resume rolls out."""
    ns = sim_cluster_namespace
    cluster_apps.create_namespaced_deployment(ns, m.deployment("web", replicas=1))
    wait_until(lambda: rolled_out(read(cluster_apps, plain, ns, "web")), what="web rolled out")
    cluster_apps.patch_namespaced_deployment("web", ns, {"spec": {"paused": True, "template": {"metadata": {
        "annotations": {"version": "2"}}}}})
    d = wait_until(lambda: (m.condition(read(cluster_apps, plain, ns, "web"), "Progressing") or {}).get("reason") ==
                   "DeploymentPaused" and read(cluster_apps, plain, ns, "web"), what="paused condition")
    assert m.condition(d, "Progressing")["status"] == "Unknown"
    assert len(cluster_apps.list_namespaced_replica_set(ns).items) == 1
    cluster_apps.patch_namespaced_deployment("web", ns, {"spec": {"paused": False}})
    d = wait_until(lambda: rolled_out(read(cluster_apps, plain, ns, "web")) and read(
        cluster_apps, plain, ns, "web")["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "2"
                   and read(cluster_apps, plain, ns, "web"), what="resumed rollout")
    assert len(cluster_apps.list_namespaced_replica_set(ns).items) == 2


def test_deleting_a_deployment_removes_its_replica_sets_and_pods(cluster_apps, cluster_core, plain,
                                                                 sim_cluster_namespace, wait_until):
    """Garbage collection plus graceful pod deletion leave nothing behind."""
    ns = sim_cluster_namespace
    cluster_apps.create_namespaced_deployment(ns, m.deployment("web"))
    wait_until(lambda: rolled_out(read(cluster_apps, plain, ns, "web")), what="web rolled out")
    cluster_apps.delete_namespaced_deployment("web", ns)
    wait_until(lambda: not cluster_apps.list_namespaced_replica_set(ns).items
               and not cluster_core.list_namespaced_pod(ns).items, what="everything collected")
    with pytest.raises(ApiException) as caught:
        cluster_apps.read_namespaced_deployment("web", ns)
    assert caught.value.status == 404


def test_a_three_replica_deployment_rolls_out_at_default_speed(sim_cluster_factory, wait_until):
    """At speed 1 (the default of `deploykit sim serve`) a Deployment would never become Available.

    How fast is measured by bench/rollout, not here."""
    from tests.plugins.sim import Http

    handle = sim_cluster_factory(speed=1.0)
    http = Http(handle.url)
    assert http("POST", "/apis/apps/v1/namespaces/default/deployments", m.deployment("web"))[0] == 201
    wait_until(lambda: rolled_out(http("GET", "/apis/apps/v1/namespaces/default/deployments/web")[1]),
               timeout=10, what="web rolled out")

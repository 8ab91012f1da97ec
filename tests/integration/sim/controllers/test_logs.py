"""pods/log on the simulated kubelet: what containers print, per attempt, with the real options and errors."""

from __future__ import annotations

import threading
import time

import pytest
from kubernetes.client.exceptions import ApiException

from tests.integration.sim.controllers import manifests as m


@pytest.fixture
def plain(cluster_client):
    return cluster_client.sanitize_for_serialization


def read(core, plain, ns, name):
    return plain(core.read_namespaced_pod(name, ns))


def status_message(exc: ApiException) -> tuple[int, str]:
    import json

    body = json.loads(exc.body)
    return exc.status, body["message"]


def test_the_log_is_what_the_annotation_says(cluster_core, plain, sim_cluster_namespace, wait_until):
    """sim.deploykit.io/logs lines come back from read_namespaced_pod_log, one per line."""
    ns = sim_cluster_namespace
    cluster_core.create_namespaced_pod(ns, m.pod("web", annotations={m.LOGS: "listening on :8080\nready"}))
    wait_until(lambda: m.state_of(read(cluster_core, plain, ns, "web")) == "running", what="running")
    assert cluster_core.read_namespaced_pod_log("web", ns) == "listening on :8080\nready\n"


def test_previous_shows_the_crashed_attempt(cluster_core, plain, sim_cluster_namespace, wait_until):
    """--previous reads the last terminated instance; the current one is the new attempt."""
    ns = sim_cluster_namespace
    annotations = {m.BEHAVIOR: "crashloop", m.LOGS: "attempt {attempt}\npanic: no database"}
    cluster_core.create_namespaced_pod(ns, m.pod("crash", annotations=annotations))

    def consistent_reads():
        # The pod keeps crashing (speed 20): read both logs while an attempt after the first runs, between two
        # reads of the pod showing that same attempt running (under load the second attempt may be missed, or end
        # between the reads: a crash moves it to lastState before the restart count grows, as the kubelet does).
        pod = read(cluster_core, plain, ns, "crash")
        before = m.container(pod).get("restartCount") or 0
        if before < 1 or m.state_of(pod) != "running":
            return None
        previous = cluster_core.read_namespaced_pod_log("crash", ns, previous=True)
        current = cluster_core.read_namespaced_pod_log("crash", ns)
        pod = read(cluster_core, plain, ns, "crash")
        same = m.container(pod).get("restartCount") == before and m.state_of(pod) == "running"
        return (before, previous, current) if same else None

    restarts, previous, current = wait_until(consistent_reads, timeout=15, what="a crash between two reads")
    assert previous == f"attempt {restarts}\npanic: no database\n"
    assert current == f"attempt {restarts + 1}\npanic: no database\n"


def test_previous_before_any_crash_is_the_kubelets_400(cluster_core, plain, sim_cluster_namespace, wait_until):
    """`previous terminated container "app" in pod "web" not found`, as kubectl logs -p prints it."""
    ns = sim_cluster_namespace
    cluster_core.create_namespaced_pod(ns, m.pod("web"))
    wait_until(lambda: m.state_of(read(cluster_core, plain, ns, "web")) == "running", what="running")
    with pytest.raises(ApiException) as caught:
        cluster_core.read_namespaced_pod_log("web", ns, previous=True)
    assert status_message(caught.value) == (400, 'previous terminated container "app" in pod "web" not found')


def test_a_pod_with_several_containers_needs_a_container_name(cluster_core, plain, sim_cluster_namespace,
                                                              wait_until):
    """Without `container`, the API server's 400 lists the choices, init containers included."""
    ns = sim_cluster_namespace
    containers = [{"name": "app", "image": "registry.example.com/app:1"},
                  {"name": "proxy", "image": "registry.example.com/proxy:1"}]
    body = m.pod("two", containers=containers, initContainers=[{"name": "setup", "image": "registry.example.com/s:1"}],
                 annotations={"sim.deploykit.io/logs.proxy": "proxy up"})
    cluster_core.create_namespaced_pod(ns, body)
    wait_until(lambda: m.state_of(read(cluster_core, plain, ns, "two"), "proxy") == "running", what="running")
    with pytest.raises(ApiException) as caught:
        cluster_core.read_namespaced_pod_log("two", ns)
    assert status_message(caught.value) == (
        400, "a container name must be specified for pod two, choose one of: [app proxy] or one of the init "
             "containers: [setup]")
    assert cluster_core.read_namespaced_pod_log("two", ns, container="proxy") == "proxy up\n"
    with pytest.raises(ApiException) as caught:
        cluster_core.read_namespaced_pod_log("two", ns, container="nope")
    assert status_message(caught.value) == (400, "container nope is not valid for pod two")


def test_a_container_that_has_not_started_is_waiting_to_start(cluster_core, plain, sim_cluster_namespace,
                                                               wait_until):
    """Logs of a pod stuck on its image: `is waiting to start: trying and failing to pull image`."""
    ns = sim_cluster_namespace
    cluster_core.create_namespaced_pod(ns, m.pod("pull", image="registry.invalid/app:1"))
    wait_until(lambda: m.state_of(read(cluster_core, plain, ns, "pull")) == "waiting:ImagePullBackOff",
               what="ImagePullBackOff")
    with pytest.raises(ApiException) as caught:
        cluster_core.read_namespaced_pod_log("pull", ns)
    assert status_message(caught.value) == (
        400, 'container "app" in pod "pull" is waiting to start: trying and failing to pull image')


def test_tail_lines_and_timestamps(cluster_core, plain, sim_cluster_namespace, wait_until):
    """tailLines keeps the last lines; timestamps prefix each with an RFC 3339 time in nanoseconds."""
    ns = sim_cluster_namespace
    cluster_core.create_namespaced_pod(ns, m.pod("web", annotations={m.LOGS: "one\ntwo\nthree"}))
    wait_until(lambda: m.state_of(read(cluster_core, plain, ns, "web")) == "running", what="running")
    assert cluster_core.read_namespaced_pod_log("web", ns, tail_lines=2) == "two\nthree\n"
    stamped = cluster_core.read_namespaced_pod_log("web", ns, timestamps=True).splitlines()
    assert [line.split(" ", 1)[1] for line in stamped] == ["one", "two", "three"]
    assert all(line.split(" ", 1)[0].endswith("Z") and "T" in line for line in stamped)
    assert cluster_core.read_namespaced_pod_log("web", ns, limit_bytes=5) == "one\nt"


def test_bad_log_options_are_invalid(sim_cluster_http, sim_cluster_namespace, cluster_core, plain, wait_until):
    """tailLines -1 is refused with 422 Invalid, as the API server validates PodLogOptions."""
    ns = sim_cluster_namespace
    cluster_core.create_namespaced_pod(ns, m.pod("web"))
    wait_until(lambda: m.state_of(read(cluster_core, plain, ns, "web")) == "running", what="running")
    code, body, _ = sim_cluster_http("GET", f"/api/v1/namespaces/{ns}/pods/web/log?tailLines=-1")
    assert code == 422 and body["reason"] == "Invalid" and "tailLines" in body["message"]


def test_follow_streams_until_the_container_terminates(cluster_core, plain, sim_cluster_namespace, wait_until):
    """follow returns what was printed, then ends when that container instance exits."""
    ns = sim_cluster_namespace
    annotations = {m.BEHAVIOR: "exit:0, exit-after:10s", m.LOGS: "working\ndone"}
    cluster_core.create_namespaced_pod(ns, m.pod("job", annotations=annotations, restart_policy="Never"))
    wait_until(lambda: m.state_of(read(cluster_core, plain, ns, "job")) == "running", what="running")
    started = time.monotonic()
    response = cluster_core.read_namespaced_pod_log("job", ns, follow=True, _preload_content=False)
    body = b"".join(response.stream(64)).decode()
    assert body == "working\ndone\n"
    assert time.monotonic() - started >= 0.2  # it waited for the exit (10 s / speed 20 = 0.5 s after start)
    assert read(cluster_core, plain, ns, "job")["status"]["phase"] == "Succeeded"


def test_follow_ends_when_the_pod_is_deleted(cluster_core, plain, sim_cluster_namespace, wait_until):
    """A follower of a running pod's log is released when the pod goes."""
    ns = sim_cluster_namespace
    cluster_core.create_namespaced_pod(ns, m.pod("web", annotations={m.LOGS: "serving"}))
    wait_until(lambda: m.state_of(read(cluster_core, plain, ns, "web")) == "running", what="running")
    received: list[str] = []

    def follow():
        response = cluster_core.read_namespaced_pod_log("web", ns, follow=True, _preload_content=False)
        received.append(b"".join(response.stream(64)).decode())

    reader = threading.Thread(target=follow)
    reader.start()
    time.sleep(0.2)
    assert reader.is_alive()
    cluster_core.delete_namespaced_pod("web", ns)
    reader.join(5)
    assert not reader.is_alive() and received == ["serving\n"]

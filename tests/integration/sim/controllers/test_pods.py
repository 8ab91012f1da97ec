"""Pods on the simulated kubelet: lifecycle, injected failures, init containers, deletion; read with the Python client."""

from __future__ import annotations

import time

import pytest
from kubernetes import watch
from kubernetes.client.exceptions import ApiException

from tests.integration.sim.controllers import manifests as m


@pytest.fixture
def plain(cluster_client):
    return cluster_client.sanitize_for_serialization


def history(core, plain, ns, created, done, *, timeout=10.0):
    """Every version of the `created` pod, from its creation until `done(pod)`."""
    seen = [plain(created)]
    stream = watch.Watch()
    deadline = time.monotonic() + timeout
    for event in stream.stream(core.list_namespaced_pod, ns, field_selector=f"metadata.name={created.metadata.name}",
                               resource_version=created.metadata.resource_version, timeout_seconds=int(timeout) + 1):
        pod = plain(event["object"])
        seen.append(pod)
        if done(pod) or time.monotonic() > deadline:
            stream.stop()
    return seen


def steps(seen, describe):
    """`describe(pod)` for each version, consecutive repeats dropped."""
    out = []
    for pod in seen:
        value = describe(pod)
        if not out or out[-1] != value:
            out.append(value)
    return out


def create(core, ns, body):
    return core.create_namespaced_pod(ns, body)


def read(core, plain, ns, name):
    return plain(core.read_namespaced_pod(name, ns))


def events(core, ns, name):
    return [(e.type, e.reason, e.message, e.count)
            for e in core.list_namespaced_event(ns, field_selector=f"involvedObject.name={name}").items]


def ready(pod):
    return (m.condition(pod, "Ready") or {}).get("status") == "True"


def test_a_pod_goes_pending_scheduled_creating_running_ready(cluster_core, plain, sim_cluster_namespace):
    """Pending, bound to a node (PodScheduled), ContainerCreating, Running, Ready: the states a real pod shows."""
    ns = sim_cluster_namespace
    created = create(cluster_core, ns, m.pod("web"))
    seen = history(cluster_core, plain, ns, created, ready)
    described = steps(seen, lambda p: (p["status"].get("phase"), bool(p["spec"].get("nodeName")), m.state_of(p),
                                       ready(p)))
    assert described == [("Pending", False, "none", False), ("Pending", True, "none", False),
                         ("Pending", True, "waiting:ContainerCreating", False), ("Running", True, "running", False),
                         ("Running", True, "running", True)]
    final = seen[-1]
    status = final["status"]
    assert final["spec"]["nodeName"].startswith("sim-node-")
    assert [c["type"] for c in status["conditions"]] == [
        "PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"]
    assert status["hostIP"].startswith("172.18.0.") and status["podIP"].startswith("10.244.")
    assert status["startTime"]
    app = m.container(final)
    assert (app["ready"], app["started"], app["restartCount"]) == (True, True, 0)
    assert app["image"] == "registry.example.com/app:1.0"
    assert app["imageID"].startswith("registry.example.com/app@sha256:")
    assert app["containerID"].startswith("containerd://")
    managers = {(e["manager"], e.get("subresource")) for e in final["metadata"]["managedFields"]}
    assert ("kubelet", "status") in managers


def test_pod_events_are_those_of_the_scheduler_and_the_kubelet(cluster_core, plain, sim_cluster_namespace,
                                                               wait_until):
    """Scheduled, Pulling, Pulled, Created, Started, with the real messages and container fieldPath."""
    ns = sim_cluster_namespace
    image = f"registry.example.com/app:events-{ns}"  # not pulled before by another test on the shared nodes
    create(cluster_core, ns, m.pod("web", image=image))
    wait_until(lambda: ready(read(cluster_core, plain, ns, "web")), what="ready")
    pod = read(cluster_core, plain, ns, "web")
    listed = cluster_core.list_namespaced_event(ns, field_selector="involvedObject.name=web").items
    reasons = [e.reason for e in listed]
    assert reasons == ["Scheduled", "Pulling", "Pulled", "Created", "Started"]
    by_reason = {e.reason: e for e in listed}
    assert by_reason["Scheduled"].message == f"Successfully assigned {ns}/web to {pod['spec']['nodeName']}"
    assert by_reason["Scheduled"].reporting_component == "default-scheduler"
    assert by_reason["Pulling"].message == f'Pulling image "{image}"'
    assert by_reason["Pulled"].message.startswith(f'Successfully pulled image "{image}" in ')
    assert by_reason["Created"].message == "Created container: app"
    assert by_reason["Started"].message == "Started container app"
    started = by_reason["Started"]
    assert (started.source.component, started.source.host) == ("kubelet", pod["spec"]["nodeName"])
    assert started.involved_object.field_path == "spec.containers{app}"
    assert started.involved_object.uid == pod["metadata"]["uid"]


def test_a_crashloop_container_restarts_with_growing_back_off(cluster_core, plain, sim_cluster_namespace):
    """Error, an immediate restart, then CrashLoopBackOff (back-off 10s, then 20s) with lastState and restartCount."""
    ns = sim_cluster_namespace
    created = create(cluster_core, ns, m.pod("crash", annotations={m.BEHAVIOR: "crashloop"}))
    seen = history(cluster_core, plain, ns, created, lambda p: m.container(p).get("restartCount", 0) >= 2 and
                   m.state_of(p) == "waiting:CrashLoopBackOff")
    described = steps(seen, lambda p: (m.state_of(p), m.container(p).get("restartCount")))
    first_run = described.index(("running", 0))
    assert described[first_run:] == [("running", 0), ("terminated:Error", 0), ("running", 1), ("terminated:Error", 1),
                                      ("waiting:CrashLoopBackOff", 1), ("running", 2), ("terminated:Error", 2),
                                      ("waiting:CrashLoopBackOff", 2)]
    backoffs = [m.container(p)["state"]["waiting"]["message"] for p in seen
                if m.state_of(p) == "waiting:CrashLoopBackOff"]
    uid = seen[-1]["metadata"]["uid"]
    assert backoffs[0] == f"back-off 10s restarting failed container=app pod=crash_{ns}({uid})"
    assert backoffs[-1] == f"back-off 20s restarting failed container=app pod=crash_{ns}({uid})"
    last = m.container(seen[-1])["lastState"]["terminated"]
    assert (last["exitCode"], last["reason"]) == (1, "Error") and last["containerID"].startswith("containerd://")
    assert seen[-1]["status"]["phase"] == "Running"


def test_crash_loop_back_off_events_repeat_as_one_event_with_a_count(cluster_core, plain, sim_cluster_namespace,
                                                                      wait_until):
    """BackOff is one Warning event whose count (and series) grows, as kubectl describe shows `x3 over ...`."""
    ns = sim_cluster_namespace
    create(cluster_core, ns, m.pod("crash", annotations={m.BEHAVIOR: "crashloop, exit-after:0s"}))
    wait_until(lambda: m.container(read(cluster_core, plain, ns, "crash")).get("restartCount", 0) >= 3,
               timeout=10, what="three restarts")
    (backoff,) = [e for e in cluster_core.list_namespaced_event(
        ns, field_selector="involvedObject.name=crash,reason=BackOff").items]
    uid = read(cluster_core, plain, ns, "crash")["metadata"]["uid"]
    assert backoff.type == "Warning"
    assert backoff.message == f"Back-off restarting failed container app in pod crash_{ns}({uid})"
    assert backoff.count >= 2 and backoff.series.count == backoff.count
    assert backoff.first_timestamp <= backoff.last_timestamp


def test_oom_shows_oomkilled_with_exit_code_137(cluster_core, plain, sim_cluster_namespace, wait_until):
    """The kernel's OOM kill: terminated reason OOMKilled, exit code 137, in lastState once restarted."""
    ns = sim_cluster_namespace
    create(cluster_core, ns, m.pod("oom", annotations={m.BEHAVIOR: "oom"}))
    pod = wait_until(lambda: (lambda p: m.container(p).get("lastState", {}).get("terminated") and p)(
        read(cluster_core, plain, ns, "oom")), what="a restart")
    last = m.container(pod)["lastState"]["terminated"]
    assert (last["reason"], last["exitCode"]) == ("OOMKilled", 137)


@pytest.mark.parametrize("image, annotations, host_error", [
    ("registry.example.com/app:1.0", {m.BEHAVIOR: "imagepull-fail"}, "pull access denied"),
    ("registry.invalid/app:1.0", None, "lookup registry.invalid: no such host"),
])
def test_image_pull_failures_go_errimagepull_then_imagepullbackoff(cluster_core, plain, sim_cluster_namespace,
                                                                   image, annotations, host_error):
    """ErrImagePull (with the runtime's error), then ImagePullBackOff; the pod stays Pending."""
    ns = sim_cluster_namespace
    created = create(cluster_core, ns, m.pod("pull", image=image, annotations=annotations))
    seen = history(cluster_core, plain, ns, created, lambda p: m.state_of(p) == "waiting:ImagePullBackOff")
    described = steps(seen, m.state_of)
    assert described[-3:] == ["waiting:ContainerCreating", "waiting:ErrImagePull", "waiting:ImagePullBackOff"]
    pulled = [m.container(p)["state"]["waiting"]["message"] for p in seen if m.state_of(p) == "waiting:ErrImagePull"]
    assert host_error in pulled[0]
    backoff = m.container(seen[-1])["state"]["waiting"]["message"]
    assert backoff.startswith(f'Back-off pulling image "{image}": ErrImagePull: ')
    assert seen[-1]["status"]["phase"] == "Pending"
    reasons = [(e[0], e[1], e[2]) for e in events(cluster_core, ns, "pull")]
    assert ("Warning", "Failed", "Error: ErrImagePull") in reasons
    assert ("Normal", "BackOff", f'Back-off pulling image "{image}"') in reasons
    assert ("Warning", "Failed", "Error: ImagePullBackOff") in reasons


def test_an_unparsable_image_name_is_invalidimagename(cluster_core, plain, sim_cluster_namespace, wait_until):
    """An image with upper-case letters never pulls: InvalidImageName."""
    ns = sim_cluster_namespace
    create(cluster_core, ns, m.pod("bad", image="Registry/App:1"))
    pod = wait_until(lambda: (lambda p: m.state_of(p) == "waiting:InvalidImageName" and p)(
        read(cluster_core, plain, ns, "bad")), what="InvalidImageName")
    assert "invalid reference format" in m.container(pod)["state"]["waiting"]["message"]


def test_never_ready_runs_but_is_never_ready_and_reports_unhealthy(cluster_core, plain, sim_cluster_namespace,
                                                                   wait_until):
    """never-ready: Running, started, not Ready, Unhealthy warnings from the readiness probe."""
    ns = sim_cluster_namespace
    create(cluster_core, ns, m.pod("slow", annotations={m.BEHAVIOR: "never-ready"}))
    wait_until(lambda: any(e[1] == "Unhealthy" for e in events(cluster_core, ns, "slow")), what="Unhealthy")
    pod = read(cluster_core, plain, ns, "slow")
    assert (pod["status"]["phase"], m.state_of(pod), m.container(pod)["ready"], ready(pod)) == (
        "Running", "running", False, False)
    assert m.condition(pod, "Ready")["message"] == "containers with unready status: [app]"


def test_ready_after_delays_readiness(cluster_core, plain, sim_cluster_namespace, wait_until):
    """ready-after:4s (0.2 s at the test speed): Running first, Ready only after the delay."""
    ns = sim_cluster_namespace
    create(cluster_core, ns, m.pod("late", annotations={m.BEHAVIOR: "ready-after:4s"}))
    wait_until(lambda: m.state_of(read(cluster_core, plain, ns, "late")) == "running", what="running")
    running_at = time.monotonic()
    assert not ready(read(cluster_core, plain, ns, "late"))
    wait_until(lambda: ready(read(cluster_core, plain, ns, "late")), what="ready")
    assert time.monotonic() - running_at >= 0.15


@pytest.mark.parametrize("behavior, phase, reason, code", [("exit:0", "Succeeded", "Completed", 0),
                                                           ("exit:3", "Failed", "Error", 3)])
def test_run_to_completion_pods_end_with_their_exit_code(cluster_core, plain, sim_cluster_namespace, wait_until,
                                                         behavior, phase, reason, code):
    """restartPolicy Never: exit 0 ends Succeeded/Completed, exit 3 ends Failed/Error, nothing restarts."""
    ns = sim_cluster_namespace
    create(cluster_core, ns, m.pod("once", annotations={m.BEHAVIOR: behavior}, restart_policy="Never"))
    pod = wait_until(lambda: (lambda p: p["status"].get("phase") in ("Succeeded", "Failed") and p)(
        read(cluster_core, plain, ns, "once")), what="a terminal phase")
    terminated = m.container(pod)["state"]["terminated"]
    assert (pod["status"]["phase"], terminated["reason"], terminated["exitCode"]) == (phase, reason, code)
    assert m.container(pod)["restartCount"] == 0
    assert m.condition(pod, "Ready")["reason"] == ("PodCompleted" if code == 0 else "PodFailed")


def test_on_failure_restarts_a_failing_container_in_place(cluster_core, plain, sim_cluster_namespace, wait_until):
    """restartPolicy OnFailure: a non-zero exit restarts the container, the pod stays Running."""
    ns = sim_cluster_namespace
    create(cluster_core, ns, m.pod("retry", annotations={m.BEHAVIOR: "exit:2"}, restart_policy="OnFailure"))
    pod = wait_until(lambda: (lambda p: m.container(p).get("restartCount", 0) >= 1 and p)(
        read(cluster_core, plain, ns, "retry")), what="a restart")
    assert pod["status"]["phase"] in ("Running", "Pending") or pod["status"]["phase"] == "Running"
    assert m.container(pod)["lastState"]["terminated"]["exitCode"] == 2


def test_init_containers_run_first_and_hold_the_app_in_podinitializing(cluster_core, plain, sim_cluster_namespace):
    """The init container runs to completion while the app waits in PodInitializing; Initialized flips to True."""
    ns = sim_cluster_namespace
    body = m.pod("init", initContainers=[{"name": "migrate", "image": "registry.example.com/migrate:1"}])
    created = create(cluster_core, ns, body)
    seen = history(cluster_core, plain, ns, created, ready)
    described = steps(seen, lambda p: (m.state_of(p, "migrate", init=True), m.state_of(p),
                                       (m.condition(p, "Initialized") or {}).get("status")))
    assert ("running", "waiting:PodInitializing", "False") in described
    assert described[-1] == ("terminated:Completed", "running", "True")
    order = [e[1] for e in events(cluster_core, ns, "init")]
    assert order.index("Started") < len(order) - 1
    started = [e for e in cluster_core.list_namespaced_event(ns, field_selector="involvedObject.name=init,"
                                                                                "reason=Started").items]
    assert [e.involved_object.field_path for e in started] == ["spec.initContainers{migrate}", "spec.containers{app}"]


def test_a_failing_init_container_fails_a_never_restarting_pod(cluster_core, plain, sim_cluster_namespace,
                                                               wait_until):
    """init-fail with restartPolicy Never: the pod ends Failed and the app container never starts."""
    ns = sim_cluster_namespace
    body = m.pod("init", annotations={m.BEHAVIOR: "init-fail"}, restart_policy="Never",
                 initContainers=[{"name": "migrate", "image": "registry.example.com/migrate:1"}])
    create(cluster_core, ns, body)
    pod = wait_until(lambda: (lambda p: p["status"].get("phase") == "Failed" and p)(
        read(cluster_core, plain, ns, "init")), what="Failed")
    assert m.state_of(pod, "migrate", init=True) == "terminated:Error"
    assert m.state_of(pod) == "waiting:PodInitializing"


def test_a_failing_init_container_crash_loops_when_the_pod_restarts(cluster_core, plain, sim_cluster_namespace,
                                                                   wait_until):
    """init-fail with restartPolicy Always: the init container backs off (Init:CrashLoopBackOff), the pod is Pending."""
    ns = sim_cluster_namespace
    body = m.pod("init", annotations={m.BEHAVIOR: "init-fail, exit-after:0s"},
                 initContainers=[{"name": "migrate", "image": "registry.example.com/migrate:1"}])
    create(cluster_core, ns, body)
    pod = wait_until(lambda: (lambda p: m.state_of(p, "migrate", init=True) == "waiting:CrashLoopBackOff" and p)(
        read(cluster_core, plain, ns, "init")), what="init back-off")
    assert pod["status"]["phase"] == "Pending"


def test_a_missing_config_map_key_is_createcontainerconfigerror_until_it_exists(cluster_core, plain,
                                                                                sim_cluster_namespace, wait_until):
    """env from a ConfigMap that does not exist: CreateContainerConfigError; creating it lets the pod start."""
    ns = sim_cluster_namespace
    containers = [{"name": "app", "image": "registry.example.com/app:1.0", "env": [
        {"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "mode"}}}]}]
    create(cluster_core, ns, m.pod("cfg", containers=containers))
    pod = wait_until(lambda: (lambda p: m.state_of(p) == "waiting:CreateContainerConfigError" and p)(
        read(cluster_core, plain, ns, "cfg")), what="config error")
    assert m.container(pod)["state"]["waiting"]["message"] == 'configmap "settings" not found'
    assert ("Warning", "Failed", 'Error: configmap "settings" not found') in [e[:3] for e in events(
        cluster_core, ns, "cfg")]
    cluster_core.create_namespaced_config_map(ns, {"metadata": {"name": "settings"}, "data": {"mode": "fast"}})
    wait_until(lambda: ready(read(cluster_core, plain, ns, "cfg")), timeout=5, what="ready once the key exists")


def test_a_missing_secret_volume_keeps_the_pod_creating_with_failedmount(cluster_core, plain, sim_cluster_namespace,
                                                                         wait_until):
    """A Secret volume that does not exist: ContainerCreating and FailedMount warnings."""
    ns = sim_cluster_namespace
    create(cluster_core, ns, m.pod("vol", volumes=[{"name": "creds", "secret": {"secretName": "db-creds"}}]))
    wait_until(lambda: any(e[1] == "FailedMount" for e in events(cluster_core, ns, "vol")), what="FailedMount")
    pod = read(cluster_core, plain, ns, "vol")
    assert m.state_of(pod) == "waiting:ContainerCreating" and pod["status"]["phase"] == "Pending"
    (failed,) = [e for e in events(cluster_core, ns, "vol") if e[1] == "FailedMount"]
    assert failed[2] == 'MountVolume.SetUp failed for volume "creds" : secret "db-creds" not found'


def test_deleting_a_running_pod_is_graceful(cluster_core, plain, sim_cluster_namespace, wait_until):
    """delete: the pod shows deletionTimestamp (Terminating) and a Killing event before it disappears."""
    ns = sim_cluster_namespace
    create(cluster_core, ns, m.pod("web"))
    wait_until(lambda: ready(read(cluster_core, plain, ns, "web")), what="ready")
    deleted = plain(cluster_core.delete_namespaced_pod("web", ns))
    assert deleted["metadata"]["deletionTimestamp"] and deleted["metadata"]["deletionGracePeriodSeconds"] == 30
    assert ("Normal", "Killing", "Stopping container app") in [e[:3] for e in events(cluster_core, ns, "web")]
    wait_until(lambda: m.gone(lambda: cluster_core.read_namespaced_pod("web", ns)), what="pod removed")


def test_a_zero_grace_period_deletes_at_once(cluster_core, plain, sim_cluster_namespace, wait_until):
    """--grace-period=0: no Terminating phase, the pod is gone in the same request."""
    ns = sim_cluster_namespace
    create(cluster_core, ns, m.pod("web"))
    wait_until(lambda: ready(read(cluster_core, plain, ns, "web")), what="ready")
    cluster_core.delete_namespaced_pod("web", ns, grace_period_seconds=0)
    with pytest.raises(ApiException) as caught:
        cluster_core.read_namespaced_pod("web", ns)
    assert caught.value.status == 404


def test_a_misspelt_behaviour_is_reported_as_a_warning_event(cluster_core, plain, sim_cluster_namespace, wait_until):
    """A typo in sim.deploykit.io/behavior shows up in `kubectl describe pod`, and the pod runs normally."""
    ns = sim_cluster_namespace
    create(cluster_core, ns, m.pod("typo", annotations={m.BEHAVIOR: "crashlop"}))
    wait_until(lambda: ready(read(cluster_core, plain, ns, "typo")), what="ready")
    (warning,) = [e for e in events(cluster_core, ns, "typo") if e[1] == "InvalidSimBehavior"]
    assert warning[0] == "Warning" and "crashlop" in warning[2]


def test_each_container_follows_its_own_behaviour(cluster_core, plain, sim_cluster_namespace, wait_until):
    """behavior.<container>: the sidecar crash-loops while the app becomes ready."""
    ns = sim_cluster_namespace
    containers = [{"name": "app", "image": "registry.example.com/app:1.0"},
                  {"name": "sidecar", "image": "registry.example.com/proxy:1"}]
    create(cluster_core, ns, m.pod("two", containers=containers,
                                   annotations={"sim.deploykit.io/behavior.sidecar": "crashloop"}))
    pod = wait_until(lambda: (lambda p: m.container(p, "sidecar").get("restartCount", 0) >= 1 and
                              m.container(p).get("ready") and p)(read(cluster_core, plain, ns, "two")),
                     what="app ready, sidecar restarted")
    assert not ready(pod)
    assert m.condition(pod, "Ready")["message"] == "containers with unready status: [sidecar]"

"""kubectl 1.37 against the simulated cluster: rollout status / undo, logs, events, describe."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import threading

import pytest

from tests.integration.sim.controllers import manifests as m

pytestmark = pytest.mark.slow

VENV_BIN = pathlib.Path(sys.executable).parent
KUBECTL = str(VENV_BIN / "kubectl")


@pytest.fixture(scope="module")
def kube_env(sim_cluster, tmp_path_factory):
    home = tmp_path_factory.mktemp("kubectl-home")
    return dict(os.environ, KUBECONFIG=str(sim_cluster.kubeconfig), HOME=str(home),
                KUBECACHEDIR=str(home / "cache"))


def kubectl(env, *args, stdin=None, check=True, timeout=60):
    result = subprocess.run([KUBECTL, *args], env=env, input=stdin, capture_output=True, text=True, timeout=timeout)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def apply(env, ns, obj):
    kubectl(env, "apply", "--server-side", "-n", ns, "-f", "-", stdin=json.dumps(obj))


def test_rollout_status_waits_for_a_healthy_rollout(kube_env, sim_cluster_namespace):
    """`kubectl rollout status` prints its progress lines and ends with successfully rolled out."""
    apply(kube_env, sim_cluster_namespace, m.deployment("web"))
    result = kubectl(kube_env, "rollout", "status", "deployment/web", "-n", sim_cluster_namespace, "--timeout=30s")
    assert result.stdout.strip().splitlines()[-1] == 'deployment "web" successfully rolled out'


def test_rollout_status_reports_the_progress_deadline(kube_env, sim_cluster_namespace):
    """A crash-looping rollout past progressDeadlineSeconds: `error: deployment "web" exceeded its progress deadline`."""
    body = m.deployment("web", replicas=1, progressDeadlineSeconds=4,
                        template=m.pod_template("web", annotations={m.BEHAVIOR: "crashloop"}))
    apply(kube_env, sim_cluster_namespace, body)
    result = kubectl(kube_env, "rollout", "status", "deployment/web", "-n", sim_cluster_namespace, "--timeout=30s",
                     check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == 'error: deployment "web" exceeded its progress deadline'


def test_rollout_undo_returns_to_the_previous_template(kube_env, sim_cluster_namespace):
    """`kubectl rollout undo` finds revision 1's ReplicaSet; the Deployment rolls back to its image as revision 3."""
    ns = sim_cluster_namespace
    apply(kube_env, ns, m.deployment("web", replicas=2))
    kubectl(kube_env, "rollout", "status", "deployment/web", "-n", ns, "--timeout=30s")
    kubectl(kube_env, "set", "image", "deployment/web", "app=registry.example.com/app:2.0", "-n", ns)
    kubectl(kube_env, "rollout", "status", "deployment/web", "-n", ns, "--timeout=30s")
    undone = kubectl(kube_env, "rollout", "undo", "deployment/web", "-n", ns)
    assert undone.stdout.strip() == "deployment.apps/web rolled back"
    kubectl(kube_env, "rollout", "status", "deployment/web", "-n", ns, "--timeout=30s")
    live = json.loads(kubectl(kube_env, "get", "deployment/web", "-n", ns, "-o", "json").stdout)
    assert live["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.example.com/app:1.0"
    assert live["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "3"
    history = kubectl(kube_env, "rollout", "history", "deployment/web", "-n", ns).stdout
    assert [line.split()[0] for line in history.strip().splitlines()[2:]] == ["2", "3"]


def test_logs_and_previous_logs(kube_env, sim_cluster_namespace, sim_cluster_http, wait_until):
    """`kubectl logs` prints the current attempt, `--previous` the crashed one."""
    ns = sim_cluster_namespace
    # Each attempt runs 80 s simulated (4 s here) so the second is still running while two kubectl runs read it,
    # also on a loaded machine (at 0.1 s an attempt could end between them).
    annotations = {m.BEHAVIOR: "crashloop, exit-after:80s", m.LOGS: "attempt {attempt}\nfatal: cannot reach db"}
    apply(kube_env, ns, m.pod("crash", annotations=annotations))
    wait_until(lambda: m.container(sim_cluster_http("GET", f"/api/v1/namespaces/{ns}/pods/crash")[1]).get(
        "restartCount") == 1 and m.state_of(sim_cluster_http("GET", f"/api/v1/namespaces/{ns}/pods/crash")[1])
        == "running", timeout=15, what="second attempt running")
    assert kubectl(kube_env, "logs", "crash", "-n", ns).stdout == "attempt 2\nfatal: cannot reach db\n"
    assert kubectl(kube_env, "logs", "crash", "-n", ns, "--previous").stdout == "attempt 1\nfatal: cannot reach db\n"


def test_logs_previous_without_a_crash_is_the_kubelets_error(kube_env, sim_cluster_namespace):
    """kubectl prints the API's 400 as `Error from server (BadRequest): previous terminated container ...`."""
    ns = sim_cluster_namespace
    apply(kube_env, ns, m.pod("web"))
    kubectl(kube_env, "wait", "--for=condition=Ready", "pod/web", "-n", ns, "--timeout=30s")
    result = kubectl(kube_env, "logs", "web", "-n", ns, "--previous", check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == ('Error from server (BadRequest): previous terminated container "app" in pod '
                                     '"web" not found')


def test_get_events_lists_the_pods_story(kube_env, sim_cluster_namespace):
    """`kubectl get events` shows Scheduled, Pulling, Pulled, Created, Started for the pod."""
    ns = sim_cluster_namespace
    # an image no other test pulled on the shared simulated nodes, so the kubelet pulls it
    apply(kube_env, ns, m.pod("web", image=f"registry.example.com/app:events-{ns}"))
    kubectl(kube_env, "wait", "--for=condition=Ready", "pod/web", "-n", ns, "--timeout=30s")
    out = kubectl(kube_env, "get", "events", "-n", ns, "--field-selector", "involvedObject.name=web").stdout
    lines = out.strip().splitlines()
    assert lines[0].split() == ["LAST", "SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    reasons = [line.split()[2] for line in lines[1:]]
    assert sorted(reasons) == sorted(["Scheduled", "Pulling", "Pulled", "Created", "Started"])
    assert all("pod/web" in line for line in lines[1:])


def test_describe_pod_shows_state_and_events(kube_env, sim_cluster_namespace, sim_cluster_http, wait_until):
    """`kubectl describe pod` of a crash loop: Waiting / CrashLoopBackOff, Last State Terminated, and the events."""
    ns = sim_cluster_namespace
    apply(kube_env, ns, m.pod("crash", annotations={m.BEHAVIOR: "crashloop"}))
    wait_until(lambda: m.state_of(sim_cluster_http("GET", f"/api/v1/namespaces/{ns}/pods/crash")[1]) ==
               "waiting:CrashLoopBackOff", what="CrashLoopBackOff")
    out = kubectl(kube_env, "describe", "pod", "crash", "-n", ns).stdout
    assert "State:          Waiting" in out and "Reason:       CrashLoopBackOff" in out
    assert "Last State:     Terminated" in out and "Exit Code:    1" in out
    assert "Node:             sim-node-" in out
    events = out[out.index("Events:"):]
    for reason in ("Scheduled", "Pulled", "Created", "Started", "BackOff"):
        assert reason in events
    assert "default-scheduler" in events and "kubelet" in events


def test_sim_serve_speed_flag_drives_a_rollout_kubectl_waits_for(tmp_path):
    """`deploykit sim serve --speed 20`: kubectl applies a Deployment and rollout status succeeds."""
    kubeconfig = tmp_path / "kubeconfig"
    process = subprocess.Popen([str(VENV_BIN / "deploykit"), "sim", "serve", "--speed", "20", "--nodes", "2",
                                "--kubeconfig-out", str(kubeconfig)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    try:
        assert "listening on http://127.0.0.1:" in process.stdout.readline()
        env = dict(os.environ, KUBECONFIG=str(kubeconfig), HOME=str(tmp_path), KUBECACHEDIR=str(tmp_path / "cache"))
        apply(env, "default", m.deployment("web"))
        result = kubectl(env, "rollout", "status", "deployment/web", "--timeout=30s")
        assert 'deployment "web" successfully rolled out' in result.stdout
        nodes = kubectl(env, "get", "nodes", "-o", "name").stdout.split()
        assert nodes == ["node/sim-node-1", "node/sim-node-2"]
    finally:
        process.terminate()
        process.wait(10)


def pod_statuses(env, ns, *selector):
    """The STATUS column of `kubectl get pods`, one entry per pod."""
    out = kubectl(env, "get", "pods", "-n", ns, "--no-headers", *selector).stdout
    return [line.split()[2] for line in out.strip().splitlines()]


def test_get_pods_shows_completed_for_a_finished_job_pod(kube_env, sim_cluster_namespace, wait_until):
    """A Job's succeeded pod would show STATUS `Succeeded` where kubectl on a real cluster prints `Completed`."""
    ns = sim_cluster_namespace
    apply(kube_env, ns, m.job("once"))
    wait_until(lambda: pod_statuses(kube_env, ns, "-l", "job-name=once") == ["Completed"], timeout=10,
               what="the job's pod shown Completed")


def test_get_pods_shows_error_for_a_failed_pod(kube_env, sim_cluster_namespace, wait_until):
    """A pod whose container exited 1 (restartPolicy Never) shows STATUS `Error`."""
    ns = sim_cluster_namespace
    apply(kube_env, ns, m.pod("broken", restart_policy="Never", annotations={m.BEHAVIOR: "exit:1"}))
    wait_until(lambda: pod_statuses(kube_env, ns) == ["Error"], timeout=10, what="the pod shown Error")


def init_pod(name, *, restart_policy=None, annotations=None):
    return m.pod(name, restart_policy=restart_policy, annotations=annotations,
                 initContainers=[{"name": "migrate", "image": "registry.example.com/migrate:1.0"}])


@pytest.mark.parametrize(("restart_policy", "behavior", "shown"), [
    (None, {m.BEHAVIOR + ".migrate": "exit-after:600s"}, "Init:0/1"),
    ("Never", {m.BEHAVIOR: "init-fail"}, "Init:Error"),
    (None, {m.BEHAVIOR: "init-fail"}, "Init:CrashLoopBackOff"),
])
def test_get_pods_shows_what_holds_the_init_container(kube_env, sim_cluster_namespace, wait_until, restart_policy,
                                                      behavior, shown):
    """A pod held by its init container would show `PodInitializing` or `Failed`, not `Init:...` as kubectl does."""
    ns = sim_cluster_namespace
    apply(kube_env, ns, init_pod("held", restart_policy=restart_policy, annotations=behavior))
    wait_until(lambda: pod_statuses(kube_env, ns) == [shown], timeout=10, what=f"the pod shown {shown}")


def test_get_pods_watch_shows_the_init_sequence(kube_env, sim_cluster_namespace):
    """`kubectl get pods -w` on a pod with an init container: Init:0/1, then PodInitializing, then Running."""
    ns = sim_cluster_namespace
    watch = subprocess.Popen([KUBECTL, "get", "pods", "-n", ns, "-w", "--no-headers"], env=kube_env,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    deadline = threading.Timer(30, watch.kill)  # a pod that never runs ends the test instead of hanging it
    deadline.start()
    try:
        apply(kube_env, ns, m.pod("marker"))
        seen = []
        for line in watch.stdout:  # the marker's first row proves the watch is established
            if line.split()[0] == "marker":
                break
        apply(kube_env, ns, init_pod("web"))
        for line in watch.stdout:
            name, _, status = line.split()[:3]
            if name == "web" and (not seen or seen[-1] != status):
                seen.append(status)
            if status == "Running" and name == "web":
                break
    finally:
        deadline.cancel()
        watch.kill()
        watch.wait(10)
    assert [s for s in seen if s != "Pending"] == ["Init:0/1", "PodInitializing", "Running"]

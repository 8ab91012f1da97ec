"""Pod status from container states: phase, conditions and their reasons, as the kubelet writes them."""

from __future__ import annotations

import pytest

from deploykit.sim.controllers import podstatus

NOW = "2026-01-01T00:00:10Z"
EARLIER = "2026-01-01T00:00:00Z"


def run(name="app", *, state=None, last=None, ready=False, init=False):
    r = podstatus.ContainerRun(name, "nginx:1.25", init=init)
    if state is not None:
        r.state = state
    if last is not None:
        r.last_state = last
    r.ready = ready
    return r


RUNNING = {"running": {"startedAt": EARLIER}}
EXITED_0 = {"terminated": {"exitCode": 0, "reason": "Completed"}}
EXITED_1 = {"terminated": {"exitCode": 1, "reason": "Error"}}
BACKOFF = {"waiting": {"reason": "CrashLoopBackOff"}}


@pytest.mark.parametrize("policy, init, app, expected", [
    ("Always", [], [run()], "Pending"),
    ("Always", [], [run(state=RUNNING)], "Running"),
    ("Always", [], [run(state=BACKOFF, last=EXITED_1)], "Running"),
    ("Always", [], [run(state=EXITED_1)], "Running"),
    ("Never", [], [run(state=EXITED_0)], "Succeeded"),
    ("Never", [], [run(state=EXITED_1)], "Failed"),
    ("OnFailure", [], [run(state=EXITED_1)], "Running"),
    ("Never", [], [run(state=EXITED_0), run("b", state=RUNNING)], "Running"),
    ("Always", [run("init", state=RUNNING, init=True)], [run()], "Pending"),
    ("Never", [run("init", state=EXITED_1, init=True)], [run()], "Failed"),
    ("Always", [run("init", state=EXITED_1, init=True)], [run()], "Pending"),
    ("Always", [run("init", state=EXITED_0, init=True)], [run(state=RUNNING)], "Running"),
])
def test_phase_follows_the_kubelets_rules(policy, init, app, expected):
    """A crash-looping pod is Running; a failed run-to-completion pod is Failed; init blocks as Pending."""
    assert podstatus.phase(policy, init, app) == expected


def test_a_deleted_pod_whose_containers_stopped_ends_in_a_terminal_phase():
    """Even with restartPolicy Always, a pod stopped for deletion ends Succeeded."""
    assert podstatus.phase("Always", [], [run(state=EXITED_0)], terminating=True) == "Succeeded"


def build(app, *, init=(), live=None, sandbox=True, policy="Always"):
    return podstatus.build(live or {}, restart_policy=policy, init=list(init), app=list(app), sandbox=sandbox,
                           host_ip="172.18.0.2", pod_ip="10.244.1.5", start_time=EARLIER, now=NOW)


def conditions(status):
    return {c["type"]: c for c in status["conditions"]}


def test_unready_containers_are_named_in_ready_and_containers_ready():
    """Ready False says `containers with unready status: [app sidecar]` as kubectl describe shows."""
    status = build([run(state=RUNNING), run("sidecar", state=RUNNING)])
    ready = conditions(status)["Ready"]
    assert (ready["status"], ready["reason"], ready["message"]) == (
        "False", "ContainersNotReady", "containers with unready status: [app sidecar]")
    assert conditions(status)["ContainersReady"]["message"] == ready["message"]


def test_condition_order_and_addresses_match_the_kubelet():
    """Conditions come in the kubelet's order; host and pod IPs appear as fields and lists."""
    live = {"phase": "Pending", "qosClass": "BestEffort", "conditions": [
        {"type": "PodScheduled", "status": "True", "lastTransitionTime": EARLIER}]}
    status = build([run(state=RUNNING, ready=True)], live=live)
    assert [c["type"] for c in status["conditions"]] == [
        "PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"]
    assert (status["hostIP"], status["hostIPs"], status["podIP"], status["podIPs"]) == (
        "172.18.0.2", [{"ip": "172.18.0.2"}], "10.244.1.5", [{"ip": "10.244.1.5"}])
    assert status["qosClass"] == "BestEffort" and status["phase"] == "Running"


def test_transition_time_is_kept_while_a_condition_holds():
    """lastTransitionTime moves only when a condition's status changes."""
    live = {"conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": EARLIER},
                           {"type": "Initialized", "status": "False", "lastTransitionTime": EARLIER}]}
    status = build([run(state=RUNNING, ready=True)], live=live)
    assert conditions(status)["Ready"]["lastTransitionTime"] == EARLIER
    assert conditions(status)["Initialized"]["lastTransitionTime"] == NOW


def test_pending_init_containers_keep_the_pod_uninitialized():
    """Initialized False names the init containers still to finish."""
    status = build([run()], init=[run("migrate", state=RUNNING, init=True)])
    init = conditions(status)["Initialized"]
    assert (init["status"], init["reason"], init["message"]) == (
        "False", "ContainersNotInitialized", "containers with incomplete status: [migrate]")
    assert [c["name"] for c in status["initContainerStatuses"]] == ["migrate"]


def test_completed_pods_report_podcompleted():
    """A Succeeded pod is not Ready, with reason PodCompleted, and its sandbox is gone."""
    status = build([run(state=EXITED_0)], policy="Never")
    assert status["phase"] == "Succeeded"
    assert conditions(status)["Ready"]["reason"] == "PodCompleted"
    assert conditions(status)["PodReadyToStartContainers"]["status"] == "False"


def test_failed_pods_report_podfailed():
    """A Failed pod's Ready condition says PodFailed."""
    status = build([run(state=EXITED_1)], policy="Never")
    assert (status["phase"], conditions(status)["ContainersReady"]["reason"]) == ("Failed", "PodFailed")


def test_container_status_entry_fields():
    """A container status carries name, state, lastState, ready, restartCount, image, imageID, containerID, started."""
    r = run(state=RUNNING, ready=True)
    r.container_id, r.image_id, r.image_ref, r.started, r.restart_count = (
        "containerd://abc", "docker.io/library/nginx@sha256:00", "docker.io/library/nginx:1.25", True, 2)
    assert r.entry() == {"name": "app", "state": RUNNING, "lastState": {}, "ready": True, "restartCount": 2,
                         "image": "docker.io/library/nginx:1.25", "imageID": "docker.io/library/nginx@sha256:00",
                         "containerID": "containerd://abc", "started": True}

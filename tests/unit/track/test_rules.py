"""Status rules: what verdict a user sees for each kind and each fatal signal."""

from datetime import datetime, timedelta, timezone

import pytest

from deploykit import errors
from deploykit.track import custom
from deploykit.track.rules import Context, Related, status_of
from deploykit.track.settings import TrackSettings, parse_duration, settings_for
from deploykit.track.verdicts import Phase

NOW = datetime(2026, 11, 21, 12, 0, 0, tzinfo=timezone.utc)


def deployment(*, generation=2, observed=2, replicas=3, updated=3, total=3, available=3, ready=3, conditions=()):
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "prod", "generation": generation},
        "spec": {"replicas": replicas, "progressDeadlineSeconds": 600},
        "status": {"observedGeneration": observed, "replicas": total, "updatedReplicas": updated,
                   "availableReplicas": available, "readyReplicas": ready, "conditions": list(conditions)},
    }


def pod(name="web-abc", *, phase="Running", ready=True, waiting=None, restarts=0, terminated_exit=None,
        init_terminated_exit=None, restart_policy="Always", unschedulable_since=None):
    container = {"name": "app", "restartCount": restarts, "state": {}}
    if waiting:
        container["state"] = {"waiting": {"reason": waiting, "message": f"{waiting} happened"}}
    elif phase == "Running":
        container["state"] = {"running": {"startedAt": "2026-11-21T11:59:00Z"}}
    if terminated_exit is not None:
        container["lastState"] = {"terminated": {"exitCode": terminated_exit, "reason": "Error"}}
    status = {"phase": phase, "containerStatuses": [container],
              "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}
    if init_terminated_exit is not None:
        status["initContainerStatuses"] = [{"name": "migrate", "restartCount": 0,
                                            "state": {"terminated": {"exitCode": init_terminated_exit,
                                                                     "reason": "Error"}}}]
    if unschedulable_since is not None:
        status["conditions"].append({"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                                     "message": "0/3 nodes are available",
                                     "lastTransitionTime": unschedulable_since.strftime("%Y-%m-%dT%H:%M:%SZ")})
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "prod"},
            "spec": {"restartPolicy": restart_policy}, "status": status}


def test_healthy_deployment_is_ready():
    """A finished roll out would keep the deploy waiting until its timeout."""
    verdict = status_of(deployment())
    assert verdict.phase is Phase.READY
    assert verdict.progress == "3/3 ready"


def test_stale_deployment_status_is_never_ready():
    """A deploy would report success before the controller even saw the new spec."""
    verdict = status_of(deployment(generation=3, observed=2))
    assert verdict.phase is Phase.IN_PROGRESS
    assert "generation 3" in verdict.reason


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"updated": 1}, "1/3 replicas updated"),
        ({"total": 4}, "1 old replica pending termination"),
        ({"available": 2}, "2/3 replicas available"),
    ],
)
def test_rolling_deployment_is_in_progress_with_reason(fields, expected):
    """The progress line would not say what the roll out is waiting for."""
    verdict = status_of(deployment(**fields))
    assert verdict.phase is Phase.IN_PROGRESS
    assert verdict.reason == expected


def test_progress_deadline_exceeded_fails_the_deployment():
    """A stuck roll out would be waited on until deploykit's own timeout."""
    stuck = deployment(available=1, conditions=[{"type": "Progressing", "status": "False",
                                                 "reason": "ProgressDeadlineExceeded",
                                                 "message": 'ReplicaSet "web-1" has timed out progressing.'}])
    verdict = status_of(stuck)
    assert verdict.phase is Phase.FAILED
    assert "progress deadline exceeded (600s)" in verdict.reason


@pytest.mark.parametrize(
    "reason",
    ["CrashLoopBackOff", "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull",
     "CreateContainerConfigError", "CreateContainerError", "RunContainerError"],
)
def test_fatal_container_waiting_reason_fails_at_once(reason):
    """A deploy with a broken pod would wait for the timeout instead of failing at the first fatal signal."""
    broken = pod(phase="Pending" if "Image" in reason else "Running", ready=False, waiting=reason, restarts=1,
                 terminated_exit=1 if reason == "CrashLoopBackOff" else None)
    verdict = status_of(deployment(available=2, ready=2), related=Related(pods=[broken]))
    assert verdict.phase is Phase.FAILED
    assert reason in verdict.reason
    assert verdict.problems[0].pod == "web-abc"
    assert verdict.problems[0].container == "app"


def test_crash_loop_reports_exit_code_and_restarts():
    """The failure message would not show the exit code a user needs to debug the crash."""
    crashing = pod(ready=False, waiting="CrashLoopBackOff", restarts=2, terminated_exit=137)
    verdict = status_of(deployment(available=2), related=Related(pods=[crashing]))
    assert "exit code 137" in verdict.reason
    assert "2 restarts" in verdict.reason
    assert verdict.problems[0].exit_code == 137


def test_failures_allowed_per_replica_tolerates_restarts():
    """A deployment that tolerates flaky starts would fail on the first restart anyway."""
    crashing = pod(ready=False, waiting="CrashLoopBackOff", restarts=2, terminated_exit=1)
    tolerant = Context(settings=TrackSettings(failures_allowed_per_replica=1))
    verdict = status_of(deployment(replicas=3, available=2), related=Related(pods=[crashing]), ctx=tolerant)
    assert verdict.phase is Phase.IN_PROGRESS
    crashing_more = pod(ready=False, waiting="CrashLoopBackOff", restarts=4, terminated_exit=1)
    verdict = status_of(deployment(replicas=3, available=2), related=Related(pods=[crashing_more]), ctx=tolerant)
    assert verdict.phase is Phase.FAILED


def test_failed_init_container_fails_a_pod_that_never_restarts():
    """A migration init container that failed would leave the deploy waiting."""
    broken = pod(phase="Pending", ready=False, init_terminated_exit=3, restart_policy="Never")
    verdict = status_of(broken)
    assert verdict.phase is Phase.FAILED
    assert verdict.problems[0].init_container
    assert verdict.problems[0].exit_code == 3


def test_replicaset_failed_create_fails_the_deployment():
    """Quota or admission refusals would look like a slow roll out."""
    rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web-7d9"},
          "status": {"conditions": [{"type": "ReplicaFailure", "status": "True", "reason": "FailedCreate",
                                     "message": "pods \"web-7d9-\" is forbidden: exceeded quota"}]}}
    verdict = status_of(deployment(updated=0), related=Related(replica_sets=[rs]))
    assert verdict.phase is Phase.FAILED
    assert "FailedCreate" in verdict.reason and "exceeded quota" in verdict.reason


def test_unschedulable_pod_fails_only_after_the_threshold():
    """A pod waiting for a node a few seconds would fail the deploy, or one that never fits would hang it."""
    recent = pod(phase="Pending", ready=False, unschedulable_since=NOW - timedelta(seconds=5))
    old = pod(phase="Pending", ready=False, unschedulable_since=NOW - timedelta(seconds=45))
    ctx = Context(now=NOW)
    assert status_of(recent, ctx=ctx).phase is Phase.IN_PROGRESS
    verdict = status_of(old, ctx=ctx)
    assert verdict.phase is Phase.FAILED
    assert "Unschedulable" in verdict.reason


def test_job_complete_is_ready_and_failed_job_fails():
    """A hook Job's outcome would be misread: success not seen, or failure reported as progress."""
    base = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "migrate", "generation": 1},
            "spec": {"completions": 1, "parallelism": 1}}
    done = {**base, "status": {"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]}}
    assert status_of(done).phase is Phase.READY
    for reason in ("BackoffLimitExceeded", "DeadlineExceeded"):
        broken = {**base, "status": {"failed": 3, "conditions": [
            {"type": "Failed", "status": "True", "reason": reason, "message": "Job has reached the specified backoff limit"}]}}
        verdict = status_of(broken)
        assert verdict.phase is Phase.FAILED
        assert reason in verdict.reason


def test_job_pod_exit_code_does_not_fail_before_the_job_does():
    """A Job with retries left would be failed on its first pod failure."""
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "migrate"},
           "spec": {"backoffLimit": 3}, "status": {"active": 1, "failed": 1}}
    failed_pod = pod(phase="Failed", ready=False, restart_policy="Never")
    assert status_of(job, related=Related(pods=[failed_pod])).phase is Phase.IN_PROGRESS


def test_standalone_failed_pod_fails():
    """A bare pod that failed would be waited on forever."""
    verdict = status_of(pod(phase="Failed", ready=False, restart_policy="Never", terminated_exit=2))
    assert verdict.phase is Phase.FAILED


def test_statefulset_waits_for_update_revision():
    """A StatefulSet mid-update would be reported ready on the old revision."""
    sts = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "generation": 2},
           "spec": {"replicas": 2, "updateStrategy": {"type": "RollingUpdate"}},
           "status": {"observedGeneration": 2, "replicas": 2, "readyReplicas": 2, "updatedReplicas": 1,
                      "currentRevision": "db-1", "updateRevision": "db-2"}}
    assert status_of(sts).phase is Phase.IN_PROGRESS
    sts["status"].update(updatedReplicas=2, currentRevision="db-2")
    assert status_of(sts).phase is Phase.READY


def test_daemonset_counts_scheduled_pods():
    """A DaemonSet with nodes still rolling would be reported ready."""
    ds = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "agent", "generation": 1},
          "status": {"observedGeneration": 1, "desiredNumberScheduled": 3, "updatedNumberScheduled": 3,
                     "numberAvailable": 2, "numberReady": 2}}
    assert status_of(ds).reason == "2/3 pods available"
    ds["status"]["numberAvailable"] = 3
    assert status_of(ds).phase is Phase.READY


def test_pvc_service_and_crd_rules():
    """Claims, load balancers and CRDs would be treated as ready before they are usable."""
    pvc = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data"}, "status": {"phase": "Pending"}}
    assert status_of(pvc).phase is Phase.IN_PROGRESS
    pvc["status"]["phase"] = "Bound"
    assert status_of(pvc).phase is Phase.READY
    lb = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": {"type": "LoadBalancer"}, "status": {}}
    assert status_of(lb).phase is Phase.IN_PROGRESS
    assert status_of(lb, ctx=Context(settings=TrackSettings(wait_for_load_balancer=False))).phase is Phase.READY
    lb["status"] = {"loadBalancer": {"ingress": [{"ip": "10.0.0.7"}]}}
    assert status_of(lb).phase is Phase.READY
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": "x"},
           "status": {"conditions": [{"type": "Established", "status": "False"}]}}
    assert status_of(crd).phase is Phase.IN_PROGRESS
    crd["status"]["conditions"][0]["status"] = "True"
    assert status_of(crd).phase is Phase.READY


def test_unknown_kinds_use_ready_condition_or_are_ready_on_creation():
    """A custom resource with a Ready condition would be ignored, or a ConfigMap waited on."""
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}}
    assert status_of(cm).phase is Phase.READY
    cr = {"apiVersion": "db.example.com/v1", "kind": "Database", "metadata": {"name": "main", "generation": 1},
          "status": {"observedGeneration": 1, "conditions": [{"type": "Ready", "status": "False", "reason": "Provisioning"}]}}
    verdict = status_of(cr)
    assert verdict.phase is Phase.IN_PROGRESS and "Provisioning" in verdict.reason
    cr["status"]["conditions"][0]["status"] = "True"
    assert status_of(cr).phase is Phase.READY
    cr["status"]["conditions"].append({"type": "Stalled", "status": "True", "reason": "BadConfig"})
    assert status_of(cr).phase is Phase.FAILED


def test_custom_rules_decide_ready_and_failed():
    """A team's rules file for its operator's resources would be ignored."""
    rules = custom.parse_rules({"rules": [{"group": "db.example.com", "kind": "Database",
                                           "ready": [{"field": "status.phase", "equals": "Running"}],
                                           "failed": [{"field": "status.phase", "in": ["Error"]},
                                                      {"condition": "Degraded"}]}]}, source="rules.yaml")
    ctx = Context(custom_rules=rules)
    cr = {"apiVersion": "db.example.com/v1", "kind": "Database", "metadata": {"name": "main"},
          "status": {"phase": "Creating"}}
    assert status_of(cr, ctx=ctx).phase is Phase.IN_PROGRESS
    cr["status"]["phase"] = "Running"
    assert status_of(cr, ctx=ctx).phase is Phase.READY
    cr["status"]["phase"] = "Error"
    assert status_of(cr, ctx=ctx).phase is Phase.FAILED
    cr["status"] = {"phase": "Running", "conditions": [{"type": "Degraded", "status": "True"}]}
    assert status_of(cr, ctx=ctx).phase is Phase.FAILED


@pytest.mark.parametrize(
    "document",
    [{"rules": "x"}, {"rules": [{"group": "a"}]}, {"rules": [{"kind": "A", "ready": [{"nope": 1}]}]},
     {"rules": [{"kind": "A", "ready": [{"field": "status..x"}]}]}, {"rules": [{"kind": "A", "failed": "x"}]},
     {"rules": [{"kind": "A", "group": "x.io"}]}],
)
def test_bad_rules_file_is_a_clear_error(document):
    """A typo in the rules file would be silently ignored."""
    with pytest.raises(errors.UsageError) as caught:
        custom.parse_rules(document, source="rules.yaml")
    assert "rules.yaml" in str(caught.value)


def test_annotations_tune_tracking_and_bad_values_are_errors():
    """Annotation typos would be ignored and the deploy would behave unlike what the chart says."""
    obj = {"kind": "Deployment", "metadata": {"name": "web", "annotations": {
        "deploykit.io/failures-allowed-per-replica": "2", "deploykit.io/no-activity-timeout": "1m30s",
        "deploykit.io/track": "false", "deploykit.io/timeout": "10m"}}}
    settings = settings_for(obj)
    assert (settings.failures_allowed_per_replica, settings.no_activity_timeout, settings.track, settings.timeout) == (
        2, 90.0, False, 600.0)
    bad = {"kind": "Deployment", "metadata": {"name": "web", "annotations": {"deploykit.io/timeout": "soon"}}}
    with pytest.raises(errors.UsageError) as caught:
        settings_for(bad)
    assert "Deployment/web" in str(caught.value) and "deploykit.io/timeout" in str(caught.value)


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("5m", 300), ("1h30m", 5400), ("2.5s", 2.5), ("45", 45)])
def test_durations_parse_like_go(text, seconds):
    """`--timeout 5m` or an annotation would be misread."""
    assert parse_duration(text, what="x") == seconds

"""The tracker against simulated rollouts over real HTTP: ready, each fatal signal, resumed watches, timeouts."""


import pytest

from deploykit import errors
from deploykit.kube.client import Kube
from deploykit.sim.faults import Faults
from deploykit.track.printing import LinePrinter
from deploykit.track.tracking import Tracker, TrackOptions


def pod_template(app, *, annotations=None, image="registry.example.com/app:1.0", restart_policy=None):
    spec = {"containers": [{"name": "app", "image": image}]}
    if restart_policy:
        spec["restartPolicy"] = restart_policy
    return {"metadata": {"labels": {"app": app}, "annotations": annotations or {}}, "spec": spec}


def deployment(namespace, name, *, replicas=2, annotations=None, image="registry.example.com/app:1.0", meta=None):
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": namespace, "annotations": meta or {}},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": pod_template(name, annotations=annotations, image=image)}}


def statefulset(namespace, name, *, replicas=2):
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": name, "namespace": namespace},
            "spec": {"replicas": replicas, "serviceName": name, "selector": {"matchLabels": {"app": name}},
                     "template": pod_template(name)}}


def daemonset(namespace, name):
    return {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": name, "namespace": namespace},
            "spec": {"selector": {"matchLabels": {"app": name}}, "template": pod_template(name)}}


def job(namespace, name, *, exit_code=0, backoff_limit=1, logs=None):
    annotations = {"sim.deploykit.io/behavior": f"exit:{exit_code}"}
    if logs:
        annotations["sim.deploykit.io/logs"] = logs
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name, "namespace": namespace},
            "spec": {"backoffLimit": backoff_limit,
                     "template": pod_template(name, annotations=annotations, restart_policy="Never")}}


class Lines:
    def __init__(self):
        self.lines = []

    def __call__(self, line):
        self.lines.append(line)

    @property
    def text(self):
        return "\n".join(self.lines)


def run(kube, objects, *, timeout=20.0, on_secret=None, **options):
    """Apply and track `objects`; Secrets the pods reference go to `on_secret` (default: nowhere; tests mask nothing)."""
    for obj in objects:
        kube.apply(obj)
    out = Lines()
    result = Tracker(kube, printer=LinePrinter(out), options=TrackOptions(timeout=timeout, **options),
                     on_secret=on_secret or (lambda secret: None)).track(objects)
    return result, out


@pytest.fixture
def kube(sim_cluster):
    with Kube.connect(kubeconfig=sim_cluster.kubeconfig) as client:
        yield client


def test_healthy_workloads_become_ready(kube, sim_cluster_namespace):
    """A healthy release would not be reported ready (or only at the timeout)."""
    objects = [deployment(sim_cluster_namespace, "web", replicas=3), statefulset(sim_cluster_namespace, "db"),
               daemonset(sim_cluster_namespace, "agent"), job(sim_cluster_namespace, "migrate"),
               {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": sim_cluster_namespace}}]
    result, out = run(kube, objects)
    assert result.ok, out.text
    assert {r.title: r.phase for r in result.resources} == {
        "Deployment/web": "Ready", "StatefulSet/db": "Ready", "DaemonSet/agent": "Ready", "Job/migrate": "Ready",
        "ConfigMap/cfg": "Ready"}
    assert "Deployment/web 3/3 ready" in out.text
    assert all(r.seconds is not None for r in result.resources)


@pytest.mark.parametrize(
    ("annotations", "image", "reason"),
    [({"sim.deploykit.io/behavior": "crashloop", "sim.deploykit.io/logs": "boom: cannot connect to db"},
      "registry.example.com/app:1.0", "CrashLoopBackOff"),
     ({"sim.deploykit.io/behavior": "imagepull-fail"}, "registry.example.com/app:1.0", "Err"),
     ({}, "registry.invalid/app:1.0", "Err")],
)
def test_fatal_pod_signal_fails_fast_with_the_reason(kube, sim_cluster_namespace, annotations, image, reason):
    """A broken roll out would be waited on until the timeout instead of failing at the first fatal signal."""
    result, out = run(kube, [deployment(sim_cluster_namespace, "web", annotations=annotations, image=image)], timeout=60)
    assert not result.ok and not result.timed_out  # failed on the signal, not at the timeout
    assert result.failed.title == "Deployment/web"
    assert reason in result.failed.reason
    assert result.failed.problems[0]["container"] == "app"
    assert "FAILED Deployment/web" in out.text


def test_crash_loop_failure_shows_exit_code_and_last_log_lines(kube, sim_cluster_namespace):
    """A crash loop would be reported without the exit code and the crashed container's last words."""
    annotations = {"sim.deploykit.io/behavior": "crashloop", "sim.deploykit.io/logs": "starting\nboom: cannot connect to db"}
    result, out = run(kube, [deployment(sim_cluster_namespace, "web", replicas=1, annotations=annotations)], timeout=60)
    problem = result.failed.problems[0]
    assert problem["exit_code"] == 1
    assert any("boom: cannot connect to db" in line for lines in result.failed.logs.values() for line in lines)
    assert "exit code 1" in out.text
    assert "boom: cannot connect to db" in out.text


def test_failed_job_fails_with_backoff_limit_exceeded(kube, sim_cluster_namespace):
    """A failed migration Job would be reported as still running."""
    result, out = run(kube, [job(sim_cluster_namespace, "migrate", exit_code=3, backoff_limit=0, logs="migration 42 failed")],
                      timeout=60)
    assert not result.ok
    assert "BackoffLimitExceeded" in result.failed.reason


def test_never_ready_pod_ends_at_the_timeout_with_a_clear_message(kube, sim_cluster_namespace):
    """A pod that never becomes ready would hang the deploy, or end without saying what it waited for."""
    annotations = {"sim.deploykit.io/behavior": "never-ready"}
    result, out = run(kube, [deployment(sim_cluster_namespace, "web", replicas=1, annotations=annotations)], timeout=3)
    assert not result.ok and result.timed_out
    assert "timed out after 3s" in result.failed.reason
    assert "0/1" in result.failed.reason or "available" in result.failed.reason


def test_no_activity_timeout_annotation_fails_a_quiet_object(kube, sim_cluster_namespace):
    """A per-resource no-activity timeout from the chart would be ignored."""
    obj = deployment(sim_cluster_namespace, "web", replicas=1, annotations={"sim.deploykit.io/behavior": "never-ready"},
                     meta={"deploykit.io/no-activity-timeout": "2s"})
    result, _ = run(kube, [obj], timeout=30)
    assert not result.ok and not result.timed_out
    assert "no activity for 2s" in result.failed.reason


def test_warning_events_and_pod_logs_are_streamed(kube, sim_cluster_namespace):
    """While waiting, the user would see nothing of the pods' logs and Warning events."""
    annotations = {"sim.deploykit.io/behavior": "crashloop", "sim.deploykit.io/logs": "hello from the app"}
    # Three crashes tolerated: the kubelet's BackOff events of the first ones reach the tracker before its verdict
    # (with none tolerated, the verdict may come before the first event: the assertion below would race it).
    obj = deployment(sim_cluster_namespace, "web", replicas=1, annotations=annotations,
                     meta={"deploykit.io/failures-allowed-per-replica": "3"})
    result, out = run(kube, [obj], timeout=60)
    assert not result.ok
    assert "| hello from the app" in out.text
    assert "Warning BackOff" in out.text or "Warning Failed" in out.text


def test_dropped_watches_are_resumed_without_a_false_verdict(sim_cluster_factory):
    """A watch closed by the API server would fail the deploy ("watch closed before Until timeout")."""
    handle = sim_cluster_factory(faults=Faults(watch_close_after=0.2), speed=1.0)
    with Kube.connect(kubeconfig=handle.kubeconfig) as kube:
        kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "drops"}})
        annotations = {"sim.deploykit.io/behavior": "ready-after:1s"}
        result, out = run(kube, [deployment("drops", "web", replicas=2, annotations=annotations)], timeout=30)
    assert result.ok, out.text
    assert result.resumes >= 1


def with_pod_spec(obj, **spec_fields):
    obj["spec"]["template"]["spec"].update(spec_fields)
    return obj


@pytest.mark.parametrize(
    ("case", "reason"),
    [("config-error", "CreateContainerConfigError"), ("init-fail", "init"), ("unschedulable", "Unschedulable"),
     ("oom", "OOMKilled"), ("progress-deadline", "progress deadline exceeded")],
)
def test_each_fatal_signal_fails_the_deployment(kube, sim_cluster_namespace, case, reason):
    """A deploy would wait for its timeout on a failure the cluster already reports."""
    ns = sim_cluster_namespace
    meta = {"deploykit.io/unschedulable-after": "1s"}
    if case == "config-error":
        obj = with_pod_spec(deployment(ns, "web", replicas=1),
                            containers=[{"name": "app", "image": "r/app:1", "envFrom": [{"configMapRef": {"name": "missing"}}]}])
    elif case == "init-fail":
        obj = deployment(ns, "web", replicas=1, annotations={"sim.deploykit.io/behavior": "init-fail"})
        with_pod_spec(obj, initContainers=[{"name": "migrate", "image": "r/migrate:1"}])
    elif case == "unschedulable":
        obj = with_pod_spec(deployment(ns, "web", replicas=1, meta=meta), nodeSelector={"disk": "nvme-none-has"})
    elif case == "oom":
        obj = deployment(ns, "web", replicas=1, annotations={"sim.deploykit.io/behavior": "oom"})
    else:
        obj = deployment(ns, "web", replicas=1, annotations={"sim.deploykit.io/behavior": "never-ready"})
        obj["spec"]["progressDeadlineSeconds"] = 10  # 0.5 s at the test cluster's speed
    result, out = run(kube, [obj], timeout=30)
    assert not result.ok and not result.timed_out, out.text
    assert reason.lower() in result.failed.reason.lower()


def test_statefulset_crash_loop_fails(kube, sim_cluster_namespace):
    """A crashing StatefulSet pod would leave the deploy waiting for ordered start-up forever."""
    sts = statefulset(sim_cluster_namespace, "db", replicas=2)
    sts["spec"]["template"]["metadata"]["annotations"] = {"sim.deploykit.io/behavior": "crashloop"}
    result, _ = run(kube, [sts], timeout=30)
    assert not result.ok
    assert "CrashLoopBackOff" in result.failed.reason


def test_job_deadline_exceeded_fails(kube, sim_cluster_namespace):
    """A Job past its activeDeadlineSeconds would be reported as still running."""
    slow = job(sim_cluster_namespace, "slow")
    slow["spec"]["activeDeadlineSeconds"] = 10  # 0.5 s at the test cluster's speed
    slow["spec"]["template"]["metadata"]["annotations"] = {"sim.deploykit.io/behavior": "exit:0, exit-after:600s"}
    result, _ = run(kube, [slow], timeout=30)
    assert not result.ok
    assert "DeadlineExceeded" in result.failed.reason


def test_bare_pod_that_fails_fails(kube, sim_cluster_namespace):
    """A standalone pod that exited non-zero would be waited on until the timeout."""
    bare = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "once", "namespace": sim_cluster_namespace,
                                                            "annotations": {"sim.deploykit.io/behavior": "exit:4"}},
            "spec": {"restartPolicy": "Never", "containers": [{"name": "app", "image": "r/app:1"}]}}
    result, _ = run(kube, [bare], timeout=30)
    assert not result.ok
    assert result.failed.problems and result.failed.problems[0]["exit_code"] == 4


def test_skip_tracking_annotation_is_not_waited_for(kube, sim_cluster_namespace):
    """An object the chart marks as not tracked would still block the deploy."""
    stuck = deployment(sim_cluster_namespace, "stuck", replicas=1, annotations={"sim.deploykit.io/behavior": "never-ready"},
                       meta={"deploykit.io/track": "false"})
    healthy = deployment(sim_cluster_namespace, "web", replicas=1)
    result, _ = run(kube, [stuck, healthy], timeout=10)
    assert result.ok
    assert [r.title for r in result.resources] == ["Deployment/web"]


def test_replicaset_failed_create_fails_the_deployment(kube, sim_cluster_namespace):
    """A roll out blocked by a ResourceQuota (FailedCreate) would look like a slow roll out until the timeout."""
    ns = sim_cluster_namespace
    kube.apply({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "tiny", "namespace": ns},
                "spec": {"hard": {"pods": "1"}}})
    result, out = run(kube, [deployment(ns, "web", replicas=3)], timeout=30)
    assert not result.ok and not result.timed_out, out.text
    assert "FailedCreate" in result.failed.reason
    assert "exceeded quota: tiny" in result.failed.reason


def test_custom_resource_rules_decide_when_an_operator_resource_fails(kube, sim_cluster_namespace, sim_cluster_http):
    """A custom resource that its operator marks as broken would be waited on until the timeout."""
    import threading

    from deploykit.track import custom

    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": "databases.db.example.com"},
           "spec": {"group": "db.example.com", "scope": "Namespaced",
                    "names": {"plural": "databases", "singular": "database", "kind": "Database"},
                    "versions": [{"name": "v1", "served": True, "storage": True, "subresources": {"status": {}},
                                  "schema": {"openAPIV3Schema": {"type": "object",
                                                                 "x-kubernetes-preserve-unknown-fields": True}}}]}}
    kube.apply(crd)
    rules = custom.parse_rules({"rules": [{"group": "db.example.com", "kind": "Database",
                                           "ready": [{"field": "status.phase", "equals": "Running"}],
                                           "failed": [{"field": "status.phase", "in": ["Error"]}]}]}, source="rules.yaml")
    database = {"apiVersion": "db.example.com/v1", "kind": "Database",
                "metadata": {"name": "main", "namespace": sim_cluster_namespace}, "spec": {"size": 1}}

    def operator_reports_an_error():
        path = f"/apis/db.example.com/v1/namespaces/{sim_cluster_namespace}/databases/main/status"
        for phase in ("Provisioning", "Error"):
            sim_cluster_http("PATCH", path, {"status": {"phase": phase}}, content_type="application/merge-patch+json")

    for _ in range(50):  # the CRD's resource is served once Established
        try:
            kube.resource_for("db.example.com/v1", "Database")
            break
        except Exception:  # noqa: BLE001
            threading.Event().wait(0.05)
    timer = threading.Timer(0.5, operator_reports_an_error)
    timer.start()
    result, out = run(kube, [database], timeout=20, custom_rules=tuple(rules))
    timer.join()
    assert not result.ok and not result.timed_out, out.text
    assert "status.phase in ['Error']" in result.failed.reason


def reading_secret(namespace, name="web", *, logs, behavior="crashloop"):
    """A Deployment whose app reads the Secret `db` through env and prints `logs`; the Secret is applied first."""
    obj = deployment(namespace, name, replicas=1,
                     annotations={"sim.deploykit.io/behavior": behavior, "sim.deploykit.io/logs": logs})
    return with_pod_spec(obj, containers=[{"name": "app", "image": "r/app:1", "env": [
        {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}]}])


def db_secret(namespace):
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": namespace},
            "stringData": {"password": "not-a-real-password"}}


def test_referenced_secret_is_handed_over_before_the_first_log_line(kube, sim_cluster_namespace):
    """A pod's first log line would be printed before its Secret's values are registered, i.e. unmasked."""
    kube.apply(db_secret(sim_cluster_namespace))
    order = []
    printer = LinePrinter(lambda line: order.append(("line", line)))
    on_secret = lambda secret: order.append(("secret", secret["metadata"]["name"]))  # noqa: E731
    obj = reading_secret(sim_cluster_namespace, logs="first words")
    kube.apply(obj)
    result = Tracker(kube, printer=printer, options=TrackOptions(timeout=60), on_secret=on_secret).track([obj])
    assert not result.ok
    logged = [index for index, (what, text) in enumerate(order) if what == "line" and "first words" in text]
    assert logged and order.index(("secret", "db")) < logged[0], order


class NoSecretReads:
    """The cluster as a CI service account sees it that may not read Secrets."""

    def __init__(self, kube):
        self._kube = kube

    def __getattr__(self, name):
        return getattr(self._kube, name)

    def list(self, api_version, kind, **kwargs):
        if kind == "Secret":
            raise errors.KubeError("secrets is forbidden", status=403, reason="Forbidden")
        return self._kube.list(api_version, kind, **kwargs)


def test_log_lines_are_withheld_when_a_referenced_secret_cannot_be_read(kube, sim_cluster_namespace):
    """Without the right to read a pod's Secrets, its log lines would be shown with their values unmasked."""
    kube.apply(db_secret(sim_cluster_namespace))
    obj = reading_secret(sim_cluster_namespace, logs="password is not-a-real-password")
    kube.apply(obj)
    out = Lines()
    result = Tracker(NoSecretReads(kube), printer=LinePrinter(out), options=TrackOptions(timeout=60),
                     on_secret=lambda secret: None).track([obj])
    assert not result.ok
    assert "password is" not in out.text
    assert "(log lines withheld: cannot read Secret db to mask its values: secrets is forbidden)" in out.text
    assert all("password is" not in line for lines in result.failed.logs.values() for line in lines)


def test_a_secret_rotated_during_tracking_is_handed_over_again(kube, sim_cluster_namespace):
    """A Secret value rotated mid roll out (an operator, a rollback) would be printed by the next pod unmasked."""
    import base64

    from deploykit.track import logsecrets

    pod = {"metadata": {"namespace": sim_cluster_namespace},
           "spec": {"volumes": [{"name": "creds", "secret": {"secretName": "db"}}]}}
    seen = []
    on_secret = lambda secret: seen.append(base64.b64decode(secret["data"]["password"]).decode())  # noqa: E731
    for value in ("first-value", "rotated-value"):
        kube.apply({**db_secret(sim_cluster_namespace), "stringData": {"password": value}})
        assert logsecrets.hand_over(pod, kube=kube, on_secret=on_secret) is None
    assert seen == ["first-value", "rotated-value"]

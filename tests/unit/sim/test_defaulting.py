"""Defaults of the common kinds, as a real API server fills them in."""

from __future__ import annotations

import copy

import pytest

from deploykit.sim.defaulting import apply_defaults


def pod_template(*containers: dict) -> dict:
    return {"metadata": {"labels": {"app": "x"}}, "spec": {"containers": list(containers)}}


@pytest.mark.parametrize(
    ("image", "policy"),
    [("nginx", "Always"), ("nginx:latest", "Always"), ("reg:5000/app", "Always"), ("reg:5000/app:1.2", "IfNotPresent"),
     ("app@sha256:abc", "IfNotPresent"), ("app:1.0", "IfNotPresent")],
)
def test_image_pull_policy_follows_the_tag(image, policy):
    """imagePullPolicy is Always for :latest or no tag, IfNotPresent otherwise (registry ports are not tags)."""
    obj = apply_defaults({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                          "spec": {"containers": [{"name": "c", "image": image}]}})
    assert obj["spec"]["containers"][0]["imagePullPolicy"] == policy


def test_an_explicit_value_is_never_overwritten():
    """Defaults fill only what is missing."""
    obj = apply_defaults({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
                          "spec": {"replicas": 0, "strategy": {"type": "Recreate"},
                                   "template": pod_template({"name": "c", "image": "a:1", "imagePullPolicy": "Never"})}})
    assert obj["spec"]["replicas"] == 0
    assert obj["spec"]["strategy"] == {"type": "Recreate"}
    assert obj["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] == "Never"


def test_container_probes_env_and_volumes_get_their_defaults():
    """Probes get timeouts and thresholds, fieldRefs an apiVersion, secret volumes mode 420."""
    container = {"name": "c", "image": "a:1", "readinessProbe": {"httpGet": {"port": 80}},
                 "env": [{"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]}
    obj = apply_defaults({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
                          "spec": {"template": {"spec": {"containers": [container],
                                                         "volumes": [{"name": "s", "secret": {"secretName": "x"}},
                                                                     {"name": "e"}]}}}})
    pod = obj["spec"]["template"]["spec"]
    probe = pod["containers"][0]["readinessProbe"]
    assert (probe["timeoutSeconds"], probe["periodSeconds"], probe["successThreshold"], probe["failureThreshold"]) == (1, 10, 1, 3)
    assert probe["httpGet"] == {"port": 80, "path": "/", "scheme": "HTTP"}
    assert pod["containers"][0]["env"][0]["valueFrom"]["fieldRef"]["apiVersion"] == "v1"
    assert pod["volumes"] == [{"name": "s", "secret": {"secretName": "x", "defaultMode": 420}}, {"name": "e", "emptyDir": {}}]


def test_service_defaults():
    """A Service gets ClusterIP, session affinity, IPv4 single stack and targetPort = port."""
    obj = apply_defaults({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
                          "spec": {"selector": {"app": "x"}, "ports": [{"port": 80}, {"port": 443, "targetPort": "https"}]}})
    spec = obj["spec"]
    assert (spec["type"], spec["sessionAffinity"], spec["ipFamilies"], spec["ipFamilyPolicy"], spec["internalTrafficPolicy"]) == (
        "ClusterIP", "None", ["IPv4"], "SingleStack", "Cluster")
    assert spec["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 80},
                             {"port": 443, "targetPort": "https", "protocol": "TCP"}]
    assert obj["status"] == {"loadBalancer": {}}


def test_load_balancer_service_defaults():
    """LoadBalancer Services also get externalTrafficPolicy and node port allocation."""
    spec = apply_defaults({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
                           "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]}})["spec"]
    assert (spec["externalTrafficPolicy"], spec["allocateLoadBalancerNodePorts"]) == ("Cluster", True)


def test_namespace_secret_and_pvc_defaults():
    """Namespace finalizer, phase and name label; Secret type Opaque; PVC volumeMode Filesystem."""
    ns = apply_defaults({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prod"}})
    assert ns["spec"] == {"finalizers": ["kubernetes"]} and ns["status"] == {"phase": "Active"}
    assert ns["metadata"]["labels"] == {"kubernetes.io/metadata.name": "prod"}
    assert apply_defaults({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}})["type"] == "Opaque"
    pvc = apply_defaults({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "c"}, "spec": {}})
    assert pvc["spec"]["volumeMode"] == "Filesystem" and pvc["status"] == {"phase": "Pending"}


def test_workload_defaults():
    """StatefulSet, DaemonSet, Job and CronJob defaults match the real API server."""
    sts = apply_defaults({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "s"},
                          "spec": {"template": pod_template({"name": "c", "image": "a:1"})}})["spec"]
    assert (sts["replicas"], sts["podManagementPolicy"], sts["revisionHistoryLimit"]) == (1, "OrderedReady", 10)
    assert sts["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}
    ds = apply_defaults({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "d"},
                         "spec": {"template": pod_template({"name": "c", "image": "a:1"})}})["spec"]
    assert ds["updateStrategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}
    job = apply_defaults({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
                          "spec": {"template": pod_template({"name": "c", "image": "a:1"})}})["spec"]
    assert (job["completions"], job["parallelism"], job["backoffLimit"], job["completionMode"], job["suspend"]) == (
        1, 1, 6, "NonIndexed", False)
    cron = apply_defaults({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"},
                           "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": pod_template(
                               {"name": "c", "image": "a:1"})}}}})["spec"]
    assert (cron["concurrencyPolicy"], cron["successfulJobsHistoryLimit"], cron["failedJobsHistoryLimit"]) == ("Allow", 3, 1)
    assert cron["jobTemplate"]["spec"]["template"]["spec"]["restartPolicy"] == "Always"
    assert "backoffLimit" not in cron["jobTemplate"]["spec"]


def test_a_job_with_parallelism_only_keeps_completions_unset():
    """Only when both are unset do completions and parallelism default to 1."""
    job = apply_defaults({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"},
                          "spec": {"parallelism": 3, "template": pod_template({"name": "c", "image": "a:1"})}})["spec"]
    assert "completions" not in job and job["parallelism"] == 3


def test_pod_requests_default_to_limits_and_qos_is_computed():
    """A Pod with limits only gets equal requests and the Guaranteed QoS class."""
    pod = apply_defaults({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [
        {"name": "c", "image": "a:1", "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}]}})
    assert pod["spec"]["containers"][0]["resources"]["requests"] == {"cpu": "1", "memory": "1Gi"}
    assert pod["status"] == {"phase": "Pending", "qosClass": "Guaranteed"}
    assert pod["spec"]["serviceAccountName"] == "default" and pod["spec"]["enableServiceLinks"] is True
    assert {t["key"] for t in pod["spec"]["tolerations"]} == {"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"}


def test_rbac_subjects_and_hpa_defaults():
    """RoleBinding subjects get their apiGroup; an HPA gets minReplicas, a CPU metric and behavior."""
    binding = apply_defaults({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "b"},
                              "subjects": [{"kind": "User", "name": "u"}, {"kind": "ServiceAccount", "name": "s"}],
                              "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"}})
    assert [s["apiGroup"] for s in binding["subjects"]] == ["rbac.authorization.k8s.io", ""]
    hpa = apply_defaults({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h"},
                          "spec": {"maxReplicas": 5, "scaleTargetRef": {"kind": "Deployment", "name": "d"}}})["spec"]
    assert hpa["minReplicas"] == 1
    assert hpa["metrics"][0]["resource"]["target"] == {"type": "Utilization", "averageUtilization": 80}
    assert hpa["behavior"]["scaleDown"]["policies"] == [{"type": "Percent", "value": 100, "periodSeconds": 15}]


KINDS = [
    {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
     "spec": {"template": pod_template({"name": "c", "image": "a", "ports": [{"containerPort": 1}]})}},
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "a"}]}},
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": {"ports": [{"port": 1}]}},
    {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "n"},
     "spec": {"podSelector": {}, "egress": [{"ports": [{"port": 53}]}]}},
    {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": "ws.x.io"},
     "spec": {"names": {"kind": "W", "plural": "ws"}}},
]


@pytest.mark.parametrize("obj", KINDS, ids=lambda o: o["kind"])
def test_defaulting_is_idempotent_and_leaves_its_input_alone(obj):
    """Defaulting twice changes nothing more, and the caller's object is not modified."""
    before = copy.deepcopy(obj)
    once = apply_defaults(obj)
    assert apply_defaults(once) == once
    assert obj == before


def test_unknown_kinds_are_copied_unchanged():
    """Custom resources get no built-in defaults."""
    obj = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"a": [1]}}
    out = apply_defaults(obj)
    assert out == obj and out is not obj and out["spec"] is not obj["spec"]


def test_host_network_pods_publish_their_ports_on_the_host():
    """A hostNetwork Pod's container ports get hostPort = containerPort; a PDB starts with zero counts."""
    pod = apply_defaults({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {
        "hostNetwork": True, "containers": [{"name": "c", "image": "a:1", "ports": [{"containerPort": 53}]}]}})
    assert pod["spec"]["containers"][0]["ports"] == [{"containerPort": 53, "protocol": "TCP", "hostPort": 53}]
    pdb = apply_defaults({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "b"},
                          "spec": {"minAvailable": 1}})
    assert pdb["status"] == {"disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0, "expectedPods": 0}

"""Defaults of the common built-in kinds, as a real API server fills them in.

Owns the values kube-apiserver writes into objects that omit them: the
`SetDefaults_*` functions of kubernetes/kubernetes `pkg/apis/*/v1/defaults.go`
(Deployment strategy 25%/25%, pod `dnsPolicy: ClusterFirst`, container
`imagePullPolicy` from the image tag, port `protocol: TCP`, Service
`targetPort`, ...), the few the registries add on create (Namespace
`spec.finalizers`, Pod `status.phase: Pending`, Service `ipFamilies`), and the
empty `status` the Go types serialise. Idempotent: defaulting a defaulted
object changes nothing.

Pure: `apply_defaults` returns a defaulted deep copy and never mutates its
input. Does not allocate cluster IPs (`strategies` does), uids or names (the
write path `api` does), and does not validate.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Obj = dict[str, Any]


def copy_json(value: Any) -> Any:
    """A deep copy of JSON data (dicts, lists, scalars), several times faster than copy.deepcopy."""
    if isinstance(value, dict):
        return {k: copy_json(v) if isinstance(v, (dict, list)) else v for k, v in value.items()}
    if isinstance(value, list):
        return [copy_json(v) if isinstance(v, (dict, list)) else v for v in value]
    return value


def apply_defaults(obj: Obj) -> Obj:
    """A defaulted deep copy of `obj`; unknown kinds are copied unchanged."""
    out = copy_json(obj)
    api_version = out.get("apiVersion") or ""
    group = api_version.rpartition("/")[0]
    defaulter = _DEFAULTERS.get((group, out.get("kind") or ""))
    if defaulter is not None:
        defaulter(out)
    return out


# --- helpers --------------------------------------------------------------------------------------


def _dict_at(obj: Obj, key: str) -> Obj:
    """obj[key] as a dict, created if missing or null."""
    value = obj.get(key)
    if not isinstance(value, dict):
        value = {}
        obj[key] = value
    return value


def _spec(obj: Obj) -> Obj:
    return _dict_at(obj, "spec")


def _items(obj: Obj, key: str) -> list[Obj]:
    value = obj.get(key)
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _status(obj: Obj, default: Obj) -> None:
    if "status" not in obj or obj["status"] is None:
        obj["status"] = default


# --- pods -----------------------------------------------------------------------------------------


def _image_pull_policy(image: Any) -> str:
    if not isinstance(image, str):
        return "IfNotPresent"
    if "@" in image:
        return "IfNotPresent"
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return "Always"
    return "Always" if last.rsplit(":", 1)[1] == "latest" else "IfNotPresent"


def _probe(probe: Any) -> None:
    if not isinstance(probe, dict):
        return
    probe.setdefault("timeoutSeconds", 1)
    probe.setdefault("periodSeconds", 10)
    probe.setdefault("successThreshold", 1)
    probe.setdefault("failureThreshold", 3)
    http = probe.get("httpGet")
    if isinstance(http, dict):
        http.setdefault("path", "/")
        http.setdefault("scheme", "HTTP")


def _env(container: Obj) -> None:
    for var in _items(container, "env"):
        source = var.get("valueFrom")
        if isinstance(source, dict) and isinstance(source.get("fieldRef"), dict):
            source["fieldRef"].setdefault("apiVersion", "v1")


def _container(container: Obj) -> None:
    container.setdefault("terminationMessagePath", "/dev/termination-log")
    container.setdefault("terminationMessagePolicy", "File")
    container.setdefault("imagePullPolicy", _image_pull_policy(container.get("image")))
    if not isinstance(container.get("resources"), dict):
        container["resources"] = {}
    for port in _items(container, "ports"):
        port.setdefault("protocol", "TCP")
    for name in ("livenessProbe", "readinessProbe", "startupProbe"):
        _probe(container.get(name))
    _env(container)


_MODE_420 = ("secret", "configMap", "projected", "downwardAPI")


def _volume(volume: Obj) -> None:
    sources = [k for k in volume if k != "name"]
    if not sources:
        volume["emptyDir"] = {}
    for source_name in _MODE_420:
        source = volume.get(source_name)
        if isinstance(source, dict):
            source.setdefault("defaultMode", 420)
    host_path = volume.get("hostPath")
    if isinstance(host_path, dict):
        host_path.setdefault("type", "")


def _pod_spec(spec: Obj) -> None:
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    if not isinstance(spec.get("securityContext"), dict):
        spec["securityContext"] = {}
    spec.setdefault("schedulerName", "default-scheduler")
    for key in ("containers", "initContainers", "ephemeralContainers"):
        for container in _items(spec, key):
            _container(container)
    for volume in _items(spec, "volumes"):
        _volume(volume)


def _pod_template(template: Any) -> None:
    if not isinstance(template, dict):
        return
    _pod_spec(_dict_at(template, "spec"))


def qos_class(spec: Obj) -> str:
    """A pod's QoS class from the cpu / memory requests and limits of all its containers, init ones too."""
    requests_seen = limits_seen = False
    guaranteed = True
    for container in _items(spec, "containers") + _items(spec, "initContainers"):
        resources = container.get("resources") if isinstance(container.get("resources"), dict) else {}
        requests = resources.get("requests") or {}
        limits = resources.get("limits") or {}
        requests_seen = requests_seen or bool(requests)
        limits_seen = limits_seen or bool(limits)
        for resource in ("cpu", "memory"):
            if resource not in limits or (resource in requests and requests[resource] != limits[resource]):
                guaranteed = False
    if not requests_seen and not limits_seen:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


_NOT_READY_TOLERATIONS = (
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
)


def _pod(obj: Obj) -> None:
    spec = _spec(obj)
    for container in _items(spec, "containers"):
        # Limits without requests make the requests (SetDefaults_Pod, not for templates).
        resources = container.get("resources")
        if isinstance(resources, dict) and isinstance(resources.get("limits"), dict) and resources["limits"]:
            requests = resources.get("requests") if isinstance(resources.get("requests"), dict) else {}
            resources["requests"] = {**resources["limits"], **requests}
    _pod_spec(spec)
    if spec.get("hostNetwork") is True:
        for container in _items(spec, "containers") + _items(spec, "initContainers"):
            for port in _items(container, "ports"):
                port.setdefault("hostPort", port.get("containerPort"))
    spec.setdefault("enableServiceLinks", True)
    spec.setdefault("priority", 0)
    spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
    # Admission plugins (ServiceAccount, DefaultTolerationSeconds) fill these on every real cluster.
    spec.setdefault("serviceAccountName", "default")
    spec.setdefault("serviceAccount", spec["serviceAccountName"])
    tolerations = spec.get("tolerations") if isinstance(spec.get("tolerations"), list) else []
    keys = {t.get("key") for t in tolerations if isinstance(t, dict)}
    extra = [dict(t) for t in _NOT_READY_TOLERATIONS if t["key"] not in keys]
    if extra:
        spec["tolerations"] = tolerations + extra
    _status(obj, {"phase": "Pending", "qosClass": qos_class(spec)})


def _pod_template_kind(obj: Obj) -> None:
    _pod_template(obj.get("template"))


# --- workloads ------------------------------------------------------------------------------------


def _deployment(obj: Obj) -> None:
    spec = _spec(obj)
    spec.setdefault("replicas", 1)
    strategy = _dict_at(spec, "strategy")
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = _dict_at(strategy, "rollingUpdate")
        rolling.setdefault("maxUnavailable", "25%")
        rolling.setdefault("maxSurge", "25%")
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    _pod_template(spec.get("template"))
    _status(obj, {})


def _replica_set(obj: Obj) -> None:
    spec = _spec(obj)
    spec.setdefault("replicas", 1)
    _pod_template(spec.get("template"))
    _status(obj, {"replicas": 0})


def _persistent_volume_claim_spec(spec: Obj) -> None:
    spec.setdefault("volumeMode", "Filesystem")


def _stateful_set(obj: Obj) -> None:
    spec = _spec(obj)
    spec.setdefault("replicas", 1)
    spec.setdefault("podManagementPolicy", "OrderedReady")
    strategy = _dict_at(spec, "updateStrategy")
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        _dict_at(strategy, "rollingUpdate").setdefault("partition", 0)
    spec.setdefault("revisionHistoryLimit", 10)
    retention = _dict_at(spec, "persistentVolumeClaimRetentionPolicy")
    retention.setdefault("whenDeleted", "Retain")
    retention.setdefault("whenScaled", "Retain")
    for claim in _items(spec, "volumeClaimTemplates"):
        _persistent_volume_claim_spec(_dict_at(claim, "spec"))
        _status(claim, {"phase": "Pending"})
    _pod_template(spec.get("template"))
    _status(obj, {"replicas": 0, "availableReplicas": 0})


def _daemon_set(obj: Obj) -> None:
    spec = _spec(obj)
    strategy = _dict_at(spec, "updateStrategy")
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = _dict_at(strategy, "rollingUpdate")
        rolling.setdefault("maxUnavailable", 1)
        rolling.setdefault("maxSurge", 0)
    spec.setdefault("revisionHistoryLimit", 10)
    _pod_template(spec.get("template"))
    _status(
        obj, {"currentNumberScheduled": 0, "numberMisscheduled": 0, "desiredNumberScheduled": 0, "numberReady": 0}
    )


def _job_spec(spec: Obj) -> None:
    if spec.get("completions") is None and spec.get("parallelism") is None:
        spec["completions"] = 1
        spec["parallelism"] = 1
    spec.setdefault("parallelism", 1)
    spec.setdefault("backoffLimit", 6)
    spec.setdefault("completionMode", "NonIndexed")
    spec.setdefault("suspend", False)
    spec.setdefault("podReplacementPolicy", "TerminatingOrFailed")
    _pod_template(spec.get("template"))


def _job(obj: Obj) -> None:
    _job_spec(_spec(obj))
    _status(obj, {})


def _cron_job(obj: Obj) -> None:
    spec = _spec(obj)
    spec.setdefault("concurrencyPolicy", "Allow")
    spec.setdefault("suspend", False)
    spec.setdefault("successfulJobsHistoryLimit", 3)
    spec.setdefault("failedJobsHistoryLimit", 1)
    template = spec.get("jobTemplate")
    if isinstance(template, dict) and isinstance(template.get("spec"), dict):
        _pod_template(template["spec"].get("template"))
    _status(obj, {})


# --- core -----------------------------------------------------------------------------------------


def _service(obj: Obj) -> None:
    spec = _spec(obj)
    service_type = spec.setdefault("type", "ClusterIP")
    if service_type != "ExternalName":
        spec.setdefault("sessionAffinity", "None")
        spec.setdefault("ipFamilies", ["IPv4"])
        spec.setdefault("ipFamilyPolicy", "SingleStack")
        spec.setdefault("internalTrafficPolicy", "Cluster")
    if service_type in ("NodePort", "LoadBalancer"):
        spec.setdefault("externalTrafficPolicy", "Cluster")
    if service_type == "LoadBalancer":
        spec.setdefault("allocateLoadBalancerNodePorts", True)
    for port in _items(spec, "ports"):
        port.setdefault("protocol", "TCP")
        if "targetPort" not in port and "port" in port:
            port["targetPort"] = port["port"]
    _status(obj, {"loadBalancer": {}})


def _secret(obj: Obj) -> None:
    obj.setdefault("type", "Opaque")


def _namespace(obj: Obj) -> None:
    name = (obj.get("metadata") or {}).get("name")
    if name:
        labels = _dict_at(_dict_at(obj, "metadata"), "labels")
        labels.setdefault("kubernetes.io/metadata.name", name)
    _spec(obj).setdefault("finalizers", ["kubernetes"])
    _status(obj, {"phase": "Active"})


def _persistent_volume_claim(obj: Obj) -> None:
    _persistent_volume_claim_spec(_spec(obj))
    _status(obj, {"phase": "Pending"})


def _endpoints(obj: Obj) -> None:
    for subset in _items(obj, "subsets"):
        for port in _items(subset, "ports"):
            port.setdefault("protocol", "TCP")


# --- other groups ---------------------------------------------------------------------------------


def _ingress(obj: Obj) -> None:
    _status(obj, {"loadBalancer": {}})


def _network_policy(obj: Obj) -> None:
    spec = _spec(obj)
    if not spec.get("policyTypes"):
        types = ["Ingress"]
        if spec.get("egress"):
            types.append("Egress")
        spec["policyTypes"] = types
    for rule in _items(spec, "ingress") + _items(spec, "egress"):
        for port in _items(rule, "ports"):
            port.setdefault("protocol", "TCP")


def _binding(obj: Obj) -> None:
    for subject in _items(obj, "subjects"):
        if subject.get("kind") in ("User", "Group"):
            subject.setdefault("apiGroup", "rbac.authorization.k8s.io")
        elif subject.get("kind") == "ServiceAccount":
            subject.setdefault("apiGroup", "")


def _horizontal_pod_autoscaler(obj: Obj) -> None:
    spec = _spec(obj)
    spec.setdefault("minReplicas", 1)
    if not spec.get("metrics"):
        spec["metrics"] = [
            {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}
        ]
    behavior = _dict_at(spec, "behavior")
    scale_up = _dict_at(behavior, "scaleUp")
    scale_up.setdefault("stabilizationWindowSeconds", 0)
    scale_up.setdefault("selectPolicy", "Max")
    scale_up.setdefault(
        "policies",
        [{"type": "Pods", "value": 4, "periodSeconds": 15}, {"type": "Percent", "value": 100, "periodSeconds": 15}],
    )
    scale_down = _dict_at(behavior, "scaleDown")
    scale_down.setdefault("selectPolicy", "Max")
    scale_down.setdefault("policies", [{"type": "Percent", "value": 100, "periodSeconds": 15}])
    _status(obj, {"desiredReplicas": 0})


def _pod_disruption_budget(obj: Obj) -> None:
    _status(obj, {"disruptionsAllowed": 0, "currentHealthy": 0, "desiredHealthy": 0, "expectedPods": 0})


def _custom_resource_definition(obj: Obj) -> None:
    spec = _spec(obj)
    names = _dict_at(spec, "names")
    kind = names.get("kind")
    if isinstance(kind, str) and kind:
        names.setdefault("singular", kind.lower())
        names.setdefault("listKind", kind + "List")
    conversion = _dict_at(spec, "conversion")
    conversion.setdefault("strategy", "None")
    _status(obj, {})


_DEFAULTERS: dict[tuple[str, str], Callable[[Obj], None]] = {
    ("apps", "Deployment"): _deployment,
    ("apps", "ReplicaSet"): _replica_set,
    ("apps", "StatefulSet"): _stateful_set,
    ("apps", "DaemonSet"): _daemon_set,
    ("batch", "Job"): _job,
    ("batch", "CronJob"): _cron_job,
    ("", "Pod"): _pod,
    ("", "PodTemplate"): _pod_template_kind,
    ("", "ReplicationController"): _replica_set,
    ("", "Service"): _service,
    ("", "Secret"): _secret,
    ("", "Namespace"): _namespace,
    ("", "PersistentVolumeClaim"): _persistent_volume_claim,
    ("", "Endpoints"): _endpoints,
    ("networking.k8s.io", "Ingress"): _ingress,
    ("networking.k8s.io", "NetworkPolicy"): _network_policy,
    ("rbac.authorization.k8s.io", "RoleBinding"): _binding,
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"): _binding,
    ("autoscaling", "HorizontalPodAutoscaler"): _horizontal_pod_autoscaler,
    ("policy", "PodDisruptionBudget"): _pod_disruption_budget,
    ("apiextensions.k8s.io", "CustomResourceDefinition"): _custom_resource_definition,
}

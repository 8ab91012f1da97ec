"""The removed-API table: the Kubernetes deprecation guide's facts, and the replacement named for a target version."""

import pytest

from deploykit.charts import kubeapis, removedapis


@pytest.mark.parametrize(("api_version", "kind", "target", "expected"), [
    ("policy/v1beta1", "PodDisruptionBudget", "v1.25.0", "since Kubernetes 1.25 (the target is v1.25.0): use policy/v1"),
    ("batch/v1beta1", "CronJob", "v1.30.2", "since Kubernetes 1.25 (the target is v1.30.2): use batch/v1"),
    ("autoscaling/v2beta2", "HorizontalPodAutoscaler", "v1.26.0", "since Kubernetes 1.26 (the target is v1.26.0): use autoscaling/v2"),
    ("autoscaling/v2beta1", "HorizontalPodAutoscaler", "v1.25.0", "since Kubernetes 1.25 (the target is v1.25.0): use autoscaling/v2"),
    ("flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema", "v1.29.0", "since Kubernetes 1.29 (the target is v1.29.0): use flowcontrol.apiserver.k8s.io/v1"),
    ("flowcontrol.apiserver.k8s.io/v1beta3", "PriorityLevelConfiguration", "v1.32.0", "since Kubernetes 1.32 (the target is v1.32.0): use flowcontrol.apiserver.k8s.io/v1"),
    ("networking.k8s.io/v1beta1", "Ingress", "v1.22.0", "since Kubernetes 1.22 (the target is v1.22.0): use networking.k8s.io/v1"),
    ("storage.k8s.io/v1beta1", "CSIStorageCapacity", "v1.27.0", "since Kubernetes 1.27 (the target is v1.27.0): use storage.k8s.io/v1"),
    ("apps/v1beta2", "Deployment", "v1.37.0", "since Kubernetes 1.16 (the target is v1.37.0): use apps/v1"),
])
def test_a_removed_api_names_its_replacement(api_version, kind, target, expected):
    """A chart written for an old cluster would fail at apply with "no matches for kind" and no way forward."""
    assert expected in removedapis.removal(api_version, kind, kube_version=target)


@pytest.mark.parametrize(("api_version", "kind", "target"), [
    ("policy/v1beta1", "PodDisruptionBudget", "v1.24.9"),
    ("autoscaling/v2beta2", "HorizontalPodAutoscaler", "v1.25.0"),
    ("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", "v1.31.0"),
    ("policy/v1", "PodDisruptionBudget", "v1.37.0"),
])
def test_an_api_the_target_still_serves_is_not_removed(api_version, kind, target):
    """A chart for an older cluster would be refused although that cluster serves its apiVersion."""
    assert removedapis.removal(api_version, kind, kube_version=target) is None


def test_pod_security_policy_has_no_replacement_but_pod_security_admission():
    """A chart with a PodSecurityPolicy would be told to move to an apiVersion that does not exist."""
    message = removedapis.removal("policy/v1beta1", "PodSecurityPolicy", kube_version="v1.25.0")
    assert "there is no replacement API" in message and "Pod Security Admission" in message


def test_the_replacement_is_followed_to_one_the_target_serves():
    """flowcontrol v1beta1 on 1.33 would be sent to v1beta3, itself gone since 1.32."""
    assert removedapis.removal("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema", kube_version="v1.27.0").endswith(
        "use flowcontrol.apiserver.k8s.io/v1beta3")
    assert removedapis.removal("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema", kube_version="v1.33.0").endswith(
        "use flowcontrol.apiserver.k8s.io/v1")
    assert "use flowcontrol.apiserver.k8s.io/v1; spec.limited.nominalConcurrencyShares: 0 now means 0" in removedapis.removal(
        "flowcontrol.apiserver.k8s.io/v1beta1", "PriorityLevelConfiguration", kube_version="v1.33.0")


@pytest.mark.parametrize("target", ["v1.25.0", "v1.29.0", "v1.32.0", "v1.37.0"])
def test_the_table_agrees_with_the_shipped_schemas(target):
    """The table would name a removal the target still serves, or a replacement it does not serve."""
    served = kubeapis.known_kinds(target)
    for entry in removedapis.TABLE:
        message = removedapis.removal(entry.api_version, entry.kind, kube_version=target)
        if message is None:  # still served, unless introduced after the target (v1beta3 came in 1.26)
            assert (entry.api_version, entry.kind) in served or entry.removed_in > (1, 31), entry
            continue
        assert (entry.api_version, entry.kind) not in served, entry
        replacement = message.split(": use ", 1)[1].split(";")[0] if ": use " in message else None
        if replacement:
            assert (replacement, entry.kind) in served, (entry, target)

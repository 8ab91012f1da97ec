"""Checks on rendered objects: names per kind, labels, annotations, unknown kinds and fields."""

import itertools
import re

import pytest

from deploykit.charts import apivalues, checking, kinds, problems
from deploykit.charts.manifests import Manifest


def manifest(obj, text=""):
    return Manifest(obj=obj, template="app/templates/x.yaml", line=3, text=text)


@pytest.mark.parametrize(
    ("api_version", "kind", "name", "valid"),
    [
        ("v1", "ConfigMap", "web.config-1", True),
        ("v1", "ConfigMap", "Web", False),
        ("v1", "ConfigMap", "a" * 254, False),
        ("v1", "Service", "web-1", True),
        ("v1", "Service", "1web", False),  # DNS-1035: must start with a letter
        ("v1", "Service", "web.api", False),
        ("v1", "Namespace", "team.a", False),
        ("batch/v1", "Job", "m" * 64, False),
        ("batch/v1", "CronJob", "c" * 53, False),
        ("rbac.authorization.k8s.io/v1", "ClusterRole", "system:aggregate-to-view", True),
        ("rbac.authorization.k8s.io/v1", "Role", "a/b", False),
        ("apps/v1", "Deployment", "web_app", False),
        ("example.com/v1", "Widget", "w.1", True),
    ],
)
def test_names_follow_the_api_servers_rule_for_the_kind(api_version, kind, name, valid):
    """A name the API server refuses would pass lint, or a valid one (e.g. system:... roles) would fail it."""
    assert (kinds.name_problem(api_version, kind, name) is None) is valid


def test_a_label_checked_valid_before_does_not_hide_a_bad_one_later():
    """Labels found valid once are not checked again: a mapping as a label value would then crash or pass."""
    good = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "labels": {"app": "web", "tier": "x"}}}
    bad = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b", "labels": {"app": {"nested": 1}, "tier": "x" * 64}}}
    assert checking.structure(manifest(good)) == []
    assert [p.message.split(": ", 1)[1] for p in checking.structure(manifest(bad))] == [
        "metadata.labels.app: must be a string, not dict",
        f"metadata.labels.tier: {'x' * 64!r} is not a valid label value (at most 63 letters, digits, '-', '_', '.', "
        "starting and ending with a letter or digit)",
    ]


def test_structure_problems_name_the_field_and_line():
    """Lint would say an object is broken without saying which field."""
    obj = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "Bad_Name", "namespace": "Team", "labels": {"ok": "yes", "bad key!": "v", "long": "x" * 64, "num": 5}, "annotations": {"replicas": 3}}}
    text = "apiVersion: v1\nkind: Service\nmetadata:\n  name: Bad_Name\n  namespace: Team\n  labels:\n    ok: 'yes'\n    bad key!: v\n    long: xx\n    num: 5\n  annotations:\n    replicas: 3\n"
    found = checking.structure(manifest(obj, text))
    assert [(p.line, p.message.split(":")[1].strip()) for p in found] == [
        (6, "metadata.name"), (7, "metadata.namespace"), (10, "metadata.labels['bad key!']"),
        (11, "metadata.labels.long"), (12, "metadata.labels.num"), (14, "metadata.annotations.replicas"),
    ]
    assert all(p.level == problems.ERROR and p.file == "app/templates/x.yaml" for p in found)


def test_missing_identity_fields_are_reported():
    """An object without kind or name would reach the cluster."""
    found = checking.structure(manifest({"metadata": {"generateName": "job-"}}))
    assert [p.message for p in found] == ["apiVersion: is missing", "kind: is missing", "metadata.name: is missing"]
    assert "generateName is not supported" in found[2].hint


def test_secret_name_values_are_masked():
    """A name templated from a secret would print the secret in a lint message."""
    found = checking.structure(manifest({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "Top_Secret_Value"}}), secrets=("Top_Secret_Value",))
    assert "Top_Secret_Value" not in found[0].message and "***" in found[0].message


def test_kind_the_target_version_does_not_serve_is_a_warning_with_the_versions_it_serves():
    """An apiVersion no built-in list knows (perhaps an aggregated API) would go unmentioned until apply."""
    obj = {"apiVersion": "autoscaling/v3", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "web"}}
    (found,) = checking.api_problems(manifest(obj), kube_version="v1.37.0", custom_kinds=set())
    assert found.level == problems.WARNING
    assert "serves it as autoscaling/v1, autoscaling/v2" in found.message


def test_a_removed_api_version_is_an_error_naming_the_replacement():
    """A chart still using extensions/v1beta1 Ingress would only fail at apply time with "no matches for kind"."""
    obj = {"apiVersion": "extensions/v1beta1", "kind": "Ingress", "metadata": {"name": "web"}}
    (found,) = checking.api_problems(manifest(obj), kube_version="v1.37.0", custom_kinds=set())
    assert found.level == problems.ERROR and found.file == "app/templates/x.yaml"
    assert found.message.startswith("Ingress web: apiVersion: extensions/v1beta1 Ingress is no longer served since "
                                    "Kubernetes 1.22 (the target is v1.37.0): use networking.k8s.io/v1")


def test_an_api_version_removed_after_the_target_is_a_deprecation_warning():
    """A team on 1.24 would not learn that its PodDisruptionBudgets break on the next upgrade."""
    obj = {"apiVersion": "policy/v1beta1", "kind": "PodDisruptionBudget", "metadata": {"name": "web"},
           "spec": {"maxUnavailable": 1}}
    found = checking.api_problems(manifest(obj), kube_version="v1.24.0", custom_kinds=set())
    assert [(p.level, p.message) for p in found] == [(problems.WARNING, (
        "PodDisruptionBudget web: apiVersion: policy/v1beta1 PodDisruptionBudget is deprecated and no longer served "
        "from Kubernetes 1.25: move to policy/v1"))]


def test_custom_kinds_from_the_charts_crds_are_known():
    """Custom resources whose CRD the chart ships would be warned about."""
    obj = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    crd = manifest({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": "widgets.example.com"}, "spec": {"group": "example.com", "names": {"kind": "Widget"}}})
    assert checking.api_problems(manifest(obj), kube_version="v1.37.0", custom_kinds=checking.custom_kinds([crd])) == []
    assert checking.api_problems(manifest(obj), kube_version="v1.37.0", custom_kinds=set())[0].level == problems.WARNING


def test_unknown_fields_are_errors_with_their_path():
    """A misspelled field (`replica:`) would be dropped silently by the API server."""
    obj = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
           "spec": {"replica": 2, "selector": {"matchLabels": {"a": "b"}}, "template": {"spec": {"containers": [{"name": "c", "image": "i", "imagePullPolicy": 3}]}}}}
    found = checking.api_problems(manifest(obj), kube_version="v1.37.0", custom_kinds=set())
    messages = [p.message for p in found]
    assert "Deployment web: spec.replica: unknown field" in messages
    assert "Deployment web: spec.template.spec.containers[0].imagePullPolicy: must be of type string, not number" in messages


def test_duplicates_are_found_across_api_versions_of_one_group():
    """The same object under two versions (apps/v1 and apps/v1beta2) would be applied twice."""
    a = Manifest(obj={"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "w", "namespace": "n"}}, template="a.yaml")
    b = Manifest(obj={"apiVersion": "apps/v1beta2", "kind": "Deployment", "metadata": {"name": "w", "namespace": "n"}}, template="b.yaml")
    (found,) = checking.duplicates([a, b])
    assert found.file == "b.yaml" and "also rendered by a.yaml" in found.message


def test_labels_seen_valid_before_do_not_hide_a_changed_value_of_the_same_key():
    """Labels skipped because the same ones passed before would let a bad value of a known key reach the cluster."""
    good = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "labels": {"app": "web", "tier": "x"}}}
    bad = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b", "labels": {"app": "web", "tier": "-x"}}}
    listed = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "labels": {"app": "web", "tier": ["x"]}}}
    assert checking.structure(manifest(good)) == []
    assert [p.message.split(": ", 1)[1] for p in checking.structure(manifest(bad))] == [
        "metadata.labels.tier: '-x' is not a valid label value (at most 63 letters, digits, '-', '_', '.', "
        "starting and ending with a letter or digit)"]
    assert [p.message.split(": ", 1)[1] for p in checking.structure(manifest(listed))] == [
        "metadata.labels.tier: must be a string, not list"]


def every_text(alphabet, longest):
    return ("".join(chars) for size in range(longest + 1) for chars in itertools.product(alphabet, repeat=size))


@pytest.mark.parametrize(("plain", "pattern", "alphabet"), [
    (checking._plain_label, checking._LABEL_NAME, "aZ09-_./ \né"),
    (checking._plain_label, checking._LABEL_VALUE, "aZ09-_./ \né"),
    (kinds._plain_dns1035, kinds._DNS1035, "az09-.A \n"),
    (apivalues._plain_quantity, apivalues._QUANTITY, "19.eEMiKn+-²٣\n"),
])
def test_plain_tests_of_names_labels_and_amounts_accept_only_what_their_regex_accepts(plain, pattern, alphabet):
    """A label, Service name or resource amount the API server refuses would pass because it looks plain enough."""
    wrongly_accepted = [text for text in every_text(alphabet, 4) if plain(text) and not re.match(pattern, text)]
    assert wrongly_accepted == []

"""Pure inspection of pod objects: the Secrets a pod can read (and so log)."""

from deploykit.track import pods


def test_every_way_a_pod_reads_a_secret_is_found():
    """A Secret read through one of these fields would not be masked in the pod's log lines."""
    pod = {"spec": {
        "initContainers": [{"name": "init", "env": [{"name": "A", "valueFrom": {"secretKeyRef": {"name": "init-env"}}}]}],
        "containers": [{"name": "app", "envFrom": [{"secretRef": {"name": "app-envfrom"}}, {"configMapRef": {"name": "cm"}}],
                        "env": [{"name": "B", "value": "plain"},
                                {"name": "C", "valueFrom": {"secretKeyRef": {"name": "app-env", "key": "k"}}}]}],
        "ephemeralContainers": [{"name": "debug", "envFrom": [{"secretRef": {"name": "debug-envfrom"}}]}],
        "volumes": [{"name": "v1", "secret": {"secretName": "volume"}}, {"name": "v2", "configMap": {"name": "cm"}},
                    {"name": "v3", "projected": {"sources": [{"secret": {"name": "projected"}},
                                                             {"serviceAccountToken": {"path": "token"}}]}}],
        "imagePullSecrets": [{"name": "pull"}, {"name": "app-env"}],
    }}
    assert pods.secret_names(pod) == ["init-env", "app-envfrom", "app-env", "debug-envfrom", "volume", "projected",
                                      "pull"]


def test_a_pod_without_secrets_references_none():
    """A pod without a spec (or with empty fields) would make tracking fail with a traceback."""
    assert pods.secret_names({}) == []
    assert pods.secret_names({"spec": {"containers": [{"name": "app", "env": None}], "volumes": None}}) == []

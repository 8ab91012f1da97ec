"""The manifests and expectations of SSA.md shared by the SSA core's unit and acceptance tests.

`M0` is SSA.md's Deployment `web`, `S1_FIELDS` the deployer's fieldsV1 after
applying it, and `edited(obj, a__b__0__c=value)` a copy with changes along
`__`-separated paths (None deletes). `S2_CONFLICT` is the 409 body of a
re-apply after `kubectl scale`. `DROPPED` is M0 without the label
`team`, the env var DEBUG and replicas (S4), and `assert_dropped` checks an
object after the deployer applied it.
"""

from __future__ import annotations

import copy
from typing import Any

M0: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "prod", "labels": {"app": "web", "team": "a"}},
    "spec": {
        "replicas": 3,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "containers": [
                    {
                        "name": "app",
                        "image": "reg/app:1.0",
                        "ports": [{"containerPort": 8080}],
                        "env": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "DEBUG", "value": "0"}],
                    }
                ]
            },
        },
    },
}

S1_FIELDS: dict[str, Any] = {
    "f:metadata": {"f:labels": {"f:app": {}, "f:team": {}}},
    "f:spec": {
        "f:replicas": {},
        "f:selector": {},
        "f:template": {
            "f:metadata": {"f:labels": {"f:app": {}}},
            "f:spec": {
                "f:containers": {
                    'k:{"name":"app"}': {
                        ".": {},
                        "f:env": {
                            'k:{"name":"DEBUG"}': {".": {}, "f:name": {}, "f:value": {}},
                            'k:{"name":"LOG_LEVEL"}': {".": {}, "f:name": {}, "f:value": {}},
                        },
                        "f:image": {},
                        "f:name": {},
                        "f:ports": {'k:{"containerPort":8080,"protocol":"TCP"}': {".": {}, "f:containerPort": {}}},
                    }
                }
            },
        },
    },
}

S2_CONFLICT: dict[str, Any] = {
    "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
    "message": 'Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas',
    "reason": "Conflict",
    "details": {"causes": [{"reason": "FieldManagerConflict",
                            "message": 'conflict with "kubectl" with subresource "scale" using apps/v1',
                            "field": ".spec.replicas"}]},
    "code": 409,
}


def edited(obj: dict, **changes: Any) -> dict:
    """A deep copy of `obj` with `a__b__0__c=value` changes; a None value deletes the key."""
    out = copy.deepcopy(obj)
    for path, value in changes.items():
        node: Any = out
        parts = path.split("__")
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if value is None:
            del node[parts[-1]]
        else:
            node[parts[-1]] = value
    return out


DROPPED = edited(M0, metadata__labels={"app": "web"}, spec__replicas=None,
                 spec__template__spec__containers__0__env=[{"name": "LOG_LEVEL", "value": "info"}])


def assert_dropped(obj: dict, owned: set[str]) -> None:
    """S4: the dropped label, env var and replicas are gone (replicas back to 1) and no longer owned."""
    assert obj["metadata"]["labels"] == {"app": "web"}
    assert obj["spec"]["template"]["spec"]["containers"][0]["env"] == [{"name": "LOG_LEVEL", "value": "info"}]
    assert obj["spec"]["replicas"] == 1
    assert ".metadata.labels.team" not in owned and ".spec.replicas" not in owned
    assert not any('[name="DEBUG"]' in p for p in owned)

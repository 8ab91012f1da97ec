"""Manifests and readers shared by the controller tests (plain dicts, as users write them)."""

from __future__ import annotations

from typing import Any, Callable

BEHAVIOR = "sim.deploykit.io/behavior"
LOGS = "sim.deploykit.io/logs"


def pod_template(app: str, *, image: str = "registry.example.com/app:1.0", annotations: dict | None = None,
                 restart_policy: str | None = None, containers: list | None = None, **spec: Any) -> dict:
    pod_spec: dict[str, Any] = {"containers": containers or [{"name": "app", "image": image}], **spec}
    if restart_policy:
        pod_spec["restartPolicy"] = restart_policy
    meta: dict[str, Any] = {"labels": {"app": app}}
    if annotations:
        meta["annotations"] = annotations
    return {"metadata": meta, "spec": pod_spec}


def deployment(name: str, *, replicas: int = 3, strategy: dict | None = None, template: dict | None = None,
               **spec: Any) -> dict:
    body: dict[str, Any] = {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                            "template": template or pod_template(name), **spec}
    if strategy:
        body["strategy"] = strategy
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name}, "spec": body}


def pod(name: str, **template: Any) -> dict:
    t = pod_template(name, **template)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, **t["metadata"]}, "spec": t["spec"]}


def job(name: str, *, annotations: dict | None = None, restart_policy: str = "Never", **spec: Any) -> dict:
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name},
            "spec": {"template": pod_template(name, annotations=annotations, restart_policy=restart_policy),
                     **spec}}


def condition(obj: dict, kind: str) -> dict | None:
    return next((c for c in (obj.get("status") or {}).get("conditions") or () if c.get("type") == kind), None)


def container(pod_obj: dict, name: str = "app", *, init: bool = False) -> dict:
    key = "initContainerStatuses" if init else "containerStatuses"
    return next((c for c in (pod_obj.get("status") or {}).get(key) or () if c.get("name") == name), {})


def state_of(pod_obj: dict, name: str = "app", *, init: bool = False) -> str:
    """`running`, `terminated:Error`, `waiting:CrashLoopBackOff` ... for one container."""
    state = container(pod_obj, name, init=init).get("state") or {}
    for kind in ("running", "terminated", "waiting"):
        if kind in state:
            reason = state[kind].get("reason")
            return f"{kind}:{reason}" if reason else kind
    return "none"


def gone(read: Callable[[], Any]) -> bool:
    """True when the client's read answers 404 (the object no longer exists)."""
    from kubernetes.client.exceptions import ApiException

    try:
        read()
    except ApiException as exc:
        return exc.status == 404
    return False

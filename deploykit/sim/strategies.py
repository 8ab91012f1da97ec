"""Kind-specific preparation of objects on create and update (the registry strategies).

Owns what the real server's `PrepareForCreate` / `PrepareForUpdate` and REST
storage do per kind beyond defaulting: initial status, Namespace phase and
finalizer and its `kubernetes.io/metadata.name` label, Service clusterIP and
nodePort allocation (10.96.0.0/12, 30000-32767), Job selector and labels,
Secret `stringData` folded into `data`, CRD conditions. Pure over plain dicts:
the caller passes what it needs (used IPs, a uid), nothing here reads the store.
"""

from __future__ import annotations

import base64
import ipaddress
import random
from typing import Any, Iterable

from deploykit.sim import defaulting, resources

_CIDR = ipaddress.ip_network("10.96.0.0/12")
NODE_PORTS = range(30000, 32768)


def initial_status(rt: resources.ResourceType, obj: dict[str, Any]) -> dict[str, Any] | None:
    """The status an object starts with when created through its main resource (None: no status)."""
    if rt.group == "":
        if rt.kind == "Namespace":
            return {"phase": "Active"}
        if rt.kind == "Pod":
            spec = obj.get("spec")
            return {"phase": "Pending", "qosClass": defaulting.qos_class(spec if isinstance(spec, dict) else {})}
        if rt.kind == "PersistentVolumeClaim":
            return {"phase": "Pending"}
        if rt.kind == "Service":
            return {"loadBalancer": {}}
    if rt.custom:
        return None
    return {}


def fold_string_data(obj: dict[str, Any]) -> dict[str, Any]:
    """Secret: `stringData` entries become base64 `data` entries, as the server stores them."""
    string_data = obj.get("stringData")
    if string_data is None:
        return obj
    out = {k: v for k, v in obj.items() if k != "stringData"}
    data = dict(out.get("data") or {})
    for key, value in (string_data or {}).items():
        data[key] = base64.b64encode(str(value).encode()).decode()
    out["data"] = data
    return out


def allocate_ip(used: Iterable[str], *, rng: random.Random | None = None) -> str:
    taken = set(used)
    taken.add("10.96.0.1")  # the `kubernetes` service's address on a real cluster
    rng = rng or random.Random()
    size = _CIDR.num_addresses
    for _ in range(64):
        candidate = str(_CIDR.network_address + rng.randrange(10, size - 1))
        if candidate not in taken:
            return candidate
    for offset in range(10, size - 1):
        candidate = str(_CIDR.network_address + offset)
        if candidate not in taken:
            return candidate
    raise RuntimeError("service IP range 10.96.0.0/12 is full")


def prepare_service(obj: dict[str, Any], live: dict[str, Any] | None, used_ips: Iterable[str],
                    used_ports: Iterable[int]) -> dict[str, Any]:
    """Keep or allocate clusterIP(s) and nodePorts."""
    spec = dict(obj.get("spec") or {})
    old_spec = (live or {}).get("spec") or {}
    kind = spec.get("type", "ClusterIP")
    if kind != "ExternalName":
        ip = spec.get("clusterIP") or old_spec.get("clusterIP")
        if not ip:
            ip = allocate_ip(used_ips)
        spec["clusterIP"] = ip
        if ip != "None" or not spec.get("clusterIPs"):
            spec["clusterIPs"] = [ip]
    if kind in ("NodePort", "LoadBalancer"):
        taken = set(used_ports)
        old_ports = {(p.get("port"), p.get("protocol", "TCP")): p.get("nodePort") for p in old_spec.get("ports") or []}
        ports = []
        for port in spec.get("ports") or []:
            port = dict(port)
            if not port.get("nodePort"):
                kept = old_ports.get((port.get("port"), port.get("protocol", "TCP")))
                if kept:
                    port["nodePort"] = kept
                else:
                    port["nodePort"] = next(p for p in NODE_PORTS if p not in taken)
                    taken.add(port["nodePort"])
            ports.append(port)
        spec["ports"] = ports
    return dict(obj, spec=spec)


def prepare_job(obj: dict[str, Any], uid: str) -> dict[str, Any]:
    """Job without manualSelector: selector on the controller uid, and its labels on the template."""
    spec = dict(obj.get("spec") or {})
    if spec.get("manualSelector"):
        return obj
    name = obj["metadata"]["name"]
    labels = {
        "batch.kubernetes.io/controller-uid": uid,
        "batch.kubernetes.io/job-name": name,
        "controller-uid": uid,
        "job-name": name,
    }
    spec.setdefault("selector", {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}})
    template = dict(spec.get("template") or {})
    meta = dict(template.get("metadata") or {})
    meta["labels"] = {**(meta.get("labels") or {}), **labels}
    template["metadata"] = meta
    spec["template"] = template
    return dict(obj, spec=spec)


def prepare_namespace(obj: dict[str, Any]) -> dict[str, Any]:
    meta = dict(obj["metadata"])
    meta["labels"] = {**(meta.get("labels") or {}), "kubernetes.io/metadata.name": meta["name"]}
    spec = dict(obj.get("spec") or {})
    spec.setdefault("finalizers", ["kubernetes"])
    return dict(obj, metadata=meta, spec=spec)


def crd_established(crd: dict[str, Any], now: str) -> dict[str, Any]:
    """CRD status as the apiextensions controllers leave it once the names are accepted."""
    spec = crd.get("spec") or {}
    names = dict(spec.get("names") or {})
    names.setdefault("singular", names.get("kind", "").lower())
    names.setdefault("listKind", names.get("kind", "") + "List")
    status = {
        "acceptedNames": names,
        "conditions": [
            {"type": "NamesAccepted", "status": "True", "lastTransitionTime": now, "reason": "NoConflicts",
             "message": "no conflicts found"},
            {"type": "Established", "status": "True", "lastTransitionTime": now, "reason": "InitialNamesAccepted",
             "message": "the initial names have been accepted"},
        ],
        "storedVersions": [v["name"] for v in spec.get("versions") or [] if v.get("storage")],
    }
    return dict(crd, status=status)

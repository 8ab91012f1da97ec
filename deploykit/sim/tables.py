"""Server-side printing: meta.k8s.io/v1 Table answers for `kubectl get`, and PartialObjectMetadata.

Owns the familiar columns per kind (pods: NAME READY STATUS RESTARTS AGE;
deployments: NAME READY UP-TO-DATE AVAILABLE AGE; configmaps: NAME DATA AGE;
secrets: NAME TYPE DATA AGE; ...; NAME AGE otherwise) and the human ages the
real printers show (`45s`, `5m30s`, `3h`, `2d5h`). Pure: the caller passes
the objects and the current time.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable

from deploykit.sim import resources, selectors, times

Row = Callable[[dict[str, Any], float], list[Any]]


def human_duration(seconds: float) -> str:
    """What kubectl prints for an age (k8s.io/apimachinery/pkg/util/duration.HumanDuration)."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        rest = s % 60
        return f"{minutes}m{rest}s" if rest else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h{rest}m" if rest else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d{rest}h" if rest else f"{hours // 24}d"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = hours // 24 - 365 * (hours // 24 // 365)
        return f"{hours // 24 // 365}y{days}d" if days else f"{hours // 24 // 365}y"
    return f"{hours // 24 // 365}y"


def age(obj: dict[str, Any], now: float) -> str:
    created = times.parse(obj["metadata"].get("creationTimestamp"))
    return "<unknown>" if created is None else human_duration(now - created)


def _name(obj: dict[str, Any]) -> str:
    return obj["metadata"]["name"]


def _spec(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("spec") or {}


def _status(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("status") or {}


def _terminated_reason(terminated: dict[str, Any], prefix: str = "") -> str:
    """`Completed`, `Error`, `OOMKilled`; `ExitCode:N` or `Signal:N` when the runtime gave no reason."""
    if terminated.get("reason"):
        return prefix + terminated["reason"]
    if terminated.get("signal"):
        return f"{prefix}Signal:{terminated['signal']}"
    return f"{prefix}ExitCode:{terminated.get('exitCode', 0)}"


def _condition_true(status: dict[str, Any], kind: str) -> bool:
    return any(c.get("type") == kind and c.get("status") == "True" for c in status.get("conditions") or ())


def _sidecars(spec: dict[str, Any]) -> set[str]:
    """Names of the restartable init containers (restartPolicy Always), which count as app containers."""
    return {c.get("name", "") for c in spec.get("initContainers") or () if c.get("restartPolicy") == "Always"}


def _restarts(statuses: list[dict[str, Any]], names: set[str] | None = None) -> int:
    return sum(int(c.get("restartCount", 0)) for c in statuses if names is None or c.get("name") in names)


def _pod_init_reason(spec: dict[str, Any], status: dict[str, Any]) -> tuple[str | None, int]:
    """STATUS while init containers hold the pod (`Init:0/1`, `Init:Error`, ...) or None; ready sidecars."""
    inits = spec.get("initContainers") or []
    sidecars = _sidecars(spec)
    ready = 0
    for index, c in enumerate(status.get("initContainerStatuses") or ()):
        state = c.get("state") or {}
        terminated, waiting = state.get("terminated"), state.get("waiting") or {}
        if terminated is not None and terminated.get("exitCode", 0) == 0:
            continue
        if c.get("name") in sidecars and c.get("started"):
            ready += bool(c.get("ready"))
            continue
        if terminated is not None:
            return _terminated_reason(terminated, "Init:"), ready
        if waiting.get("reason") and waiting["reason"] != "PodInitializing":
            return "Init:" + waiting["reason"], ready
        return f"Init:{index}/{len(inits)}", ready
    return None, ready


def _pod_row(obj: dict[str, Any], now: float) -> list[Any]:
    """NAME READY STATUS RESTARTS AGE (IP NODE), STATUS reasoned as kubectl's pod printer does."""
    status, spec, meta = _status(obj), _spec(obj), obj["metadata"]
    phase = status.get("phase") or "Pending"
    reason = status.get("reason") or phase
    if any(c.get("type") == "PodScheduled" and c.get("reason") == "SchedulingGated"
           for c in status.get("conditions") or ()):
        reason = "SchedulingGated"
    sidecars = _sidecars(spec)
    total = len(spec.get("containers") or []) + len(sidecars)
    init_reason, ready = _pod_init_reason(spec, status)
    init_statuses = status.get("initContainerStatuses") or []
    restarts = _restarts(init_statuses)
    if init_reason is not None:
        reason = init_reason
    if init_reason is None or _condition_true(status, "Initialized"):
        restarts = _restarts(init_statuses, sidecars)
        running = False
        for c in reversed(status.get("containerStatuses") or []):
            restarts += int(c.get("restartCount", 0))
            state = c.get("state") or {}
            if (state.get("waiting") or {}).get("reason"):
                reason = state["waiting"]["reason"]
            elif state.get("terminated") is not None:
                reason = _terminated_reason(state["terminated"])
            elif c.get("ready") and "running" in state:
                running = True
                ready += 1
        if reason == "Completed" and running:
            reason = "Running" if _condition_true(status, "Ready") else "NotReady"
    if meta.get("deletionTimestamp") and phase not in ("Succeeded", "Failed"):
        reason = "Unknown" if status.get("reason") == "NodeLost" else "Terminating"
    return [_name(obj), f"{ready}/{total}", reason, restarts, age(obj, now),
            status.get("podIP") or "<none>", spec.get("nodeName") or "<none>"]


def _wide(obj: dict[str, Any]) -> list[Any]:
    """CONTAINERS, IMAGES, SELECTOR: the -o wide columns of workloads."""
    containers = ((_spec(obj).get("template") or {}).get("spec") or {}).get("containers") or []
    selector = _spec(obj).get("selector") or {}
    return [",".join(c.get("name", "") for c in containers), ",".join(c.get("image", "") for c in containers),
            selectors.to_string(selector) or "<none>"]


def _deployment_row(obj: dict[str, Any], now: float) -> list[Any]:
    s = _status(obj)
    desired = _spec(obj).get("replicas", 1)
    return [_name(obj), f"{s.get('readyReplicas', 0)}/{desired}", s.get("updatedReplicas", 0),
            s.get("availableReplicas", 0), age(obj, now)] + _wide(obj)


def _replicaset_row(obj: dict[str, Any], now: float) -> list[Any]:
    s = _status(obj)
    return [_name(obj), _spec(obj).get("replicas", 1), s.get("replicas", 0), s.get("readyReplicas", 0),
            age(obj, now)] + _wide(obj)


def _statefulset_row(obj: dict[str, Any], now: float) -> list[Any]:
    return [_name(obj), f"{_status(obj).get('readyReplicas', 0)}/{_spec(obj).get('replicas', 1)}",
            age(obj, now)] + _wide(obj)[:2]


def _daemonset_row(obj: dict[str, Any], now: float) -> list[Any]:
    s = _status(obj)
    selector = ",".join(f"{k}={v}" for k, v in sorted(
        ((_spec(obj).get("template") or {}).get("spec") or {}).get("nodeSelector", {}).items())) or "<none>"
    return [_name(obj), s.get("desiredNumberScheduled", 0), s.get("currentNumberScheduled", 0),
            s.get("numberReady", 0), s.get("updatedNumberScheduled", 0), s.get("numberAvailable", 0), selector,
            age(obj, now)]


def _job_row(obj: dict[str, Any], now: float) -> list[Any]:
    s = _status(obj)
    state = "Running"
    for cond in s.get("conditions") or []:
        if cond.get("status") == "True" and cond.get("type") in ("Complete", "Failed", "Suspended"):
            state = cond["type"]
    completions = _spec(obj).get("completions", 1)
    start, end = times.parse(s.get("startTime")), times.parse(s.get("completionTime"))
    duration = human_duration((end or now) - start) if start else ""
    return [_name(obj), state, f"{s.get('succeeded', 0)}/{completions}", duration, age(obj, now)]


def _service_row(obj: dict[str, Any], now: float) -> list[Any]:
    spec = _spec(obj)
    ports = ",".join(
        f"{p.get('port')}{':' + str(p['nodePort']) if p.get('nodePort') else ''}/{p.get('protocol', 'TCP')}"
        for p in spec.get("ports") or []) or "<none>"
    ingress = (_status(obj).get("loadBalancer") or {}).get("ingress") or []
    external = ",".join(i.get("ip") or i.get("hostname", "") for i in ingress) or (
        "<pending>" if spec.get("type") == "LoadBalancer" else "<none>")
    return [_name(obj), spec.get("type", "ClusterIP"), spec.get("clusterIP") or "<none>", external, ports,
            age(obj, now)]


def _data_count(obj: dict[str, Any]) -> int:
    return len(obj.get("data") or {}) + len(obj.get("binaryData") or {})


def _event_row(obj: dict[str, Any], now: float) -> list[Any]:
    involved = obj.get("involvedObject") or obj.get("regarding") or {}
    last = obj.get("lastTimestamp") or obj.get("eventTime") or obj["metadata"].get("creationTimestamp")
    seen = times.parse(last)
    return [human_duration(now - seen) if seen else "<unknown>", obj.get("type", ""), obj.get("reason", ""),
            f"{(involved.get('kind') or '').lower()}/{involved.get('name', '')}",
            obj.get("message") or obj.get("note", "")]


def _at_most_three(items: list[str]) -> str:
    """`a,b,c + 2 more...`, or `<unset>` when empty: how kubectl lists an EndpointSlice's ports and addresses."""
    shown = ",".join(items[:3])
    if len(items) > 3:
        return f"{shown} + {len(items) - 3} more..."
    return shown or "<unset>"


def _endpointslice_row(obj: dict[str, Any], now: float) -> list[Any]:
    ports = [str(p["port"]) if p.get("port") is not None else p.get("name") or "*" for p in obj.get("ports") or ()]
    addresses = [a for e in obj.get("endpoints") or () for a in e.get("addresses") or ()]
    return [_name(obj), obj.get("addressType", ""), _at_most_three(ports), _at_most_three(addresses), age(obj, now)]


def _col(name: str, kind: str = "string", fmt: str = "", priority: int = 0, description: str = "") -> dict[str, Any]:
    return {"name": name, "type": kind, "format": fmt, "description": description or name, "priority": priority}


_NAME = _col("Name", fmt="name", description="Name must be unique within a namespace.")
_WIDE_COLUMNS = [_col("Containers", priority=1), _col("Images", priority=1), _col("Selector", priority=1)]
_AGE = _col("Age", description="CreationTimestamp is a timestamp representing the server time when this object "
                               "was created.")

# (group, kind) -> (columns, row function)
_PRINTERS: dict[tuple[str, str], tuple[list[dict[str, Any]], Row]] = {
    ("", "Pod"): ([_NAME, _col("Ready"), _col("Status"), _col("Restarts", "string"), _AGE,
                   _col("IP", priority=1), _col("Node", priority=1)], _pod_row),
    ("apps", "Deployment"): ([_NAME, _col("Ready"), _col("Up-to-date", "integer"), _col("Available", "integer"),
                              _AGE] + _WIDE_COLUMNS, _deployment_row),
    ("apps", "ReplicaSet"): ([_NAME, _col("Desired", "integer"), _col("Current", "integer"),
                              _col("Ready", "integer"), _AGE] + _WIDE_COLUMNS,
                             _replicaset_row),
    ("apps", "StatefulSet"): ([_NAME, _col("Ready"), _AGE] + _WIDE_COLUMNS[:2], _statefulset_row),
    ("apps", "DaemonSet"): ([_NAME, _col("Desired", "integer"), _col("Current", "integer"), _col("Ready", "integer"),
                             _col("Up-to-date", "integer"), _col("Available", "integer"), _col("Node Selector"),
                             _AGE], _daemonset_row),
    ("batch", "Job"): ([_NAME, _col("Status"), _col("Completions"), _col("Duration"), _AGE], _job_row),
    ("batch", "CronJob"): ([_NAME, _col("Schedule"), _col("Suspend", "boolean"), _col("Active", "integer"),
                            _col("Last Schedule"), _AGE],
                           lambda o, now: [_name(o), _spec(o).get("schedule", ""), bool(_spec(o).get("suspend")),
                                           len(_status(o).get("active") or []),
                                           "<none>" if not _status(o).get("lastScheduleTime") else human_duration(
                                               now - (times.parse(_status(o)["lastScheduleTime"]) or now)),
                                           age(o, now)]),
    ("", "Service"): ([_NAME, _col("Type"), _col("Cluster-IP"), _col("External-IP"), _col("Port(s)"), _AGE],
                      _service_row),
    ("", "ConfigMap"): ([_NAME, _col("Data", "integer"), _AGE], lambda o, now: [_name(o), _data_count(o), age(o, now)]),
    ("", "Secret"): ([_NAME, _col("Type"), _col("Data", "integer"), _AGE],
                     lambda o, now: [_name(o), o.get("type", "Opaque"), _data_count(o), age(o, now)]),
    ("", "Namespace"): ([_NAME, _col("Status"), _AGE],
                        lambda o, now: [_name(o), _status(o).get("phase", "Active"), age(o, now)]),
    ("", "ServiceAccount"): ([_NAME, _col("Secrets", "integer"), _AGE],
                             lambda o, now: [_name(o), len(o.get("secrets") or []), age(o, now)]),
    ("", "PersistentVolumeClaim"): ([_NAME, _col("Status"), _col("Volume"), _col("Capacity"), _col("Access Modes"),
                                     _col("StorageClass"), _AGE],
                                    lambda o, now: [_name(o), _status(o).get("phase", "Pending"),
                                                    _spec(o).get("volumeName", ""),
                                                    (_status(o).get("capacity") or {}).get("storage", ""),
                                                    ",".join(_status(o).get("accessModes") or []),
                                                    _spec(o).get("storageClassName") or "<unset>", age(o, now)]),
    ("", "Event"): ([_col("Last Seen"), _col("Type"), _col("Reason"), _col("Object"), _col("Message")], _event_row),
    ("events.k8s.io", "Event"): ([_col("Last Seen"), _col("Type"), _col("Reason"), _col("Object"), _col("Message")],
                                 _event_row),
    ("", "Node"): ([_NAME, _col("Status"), _col("Roles"), _AGE, _col("Version")],
                   lambda o, now: [_name(o), "Ready" if any(
                       c.get("type") == "Ready" and c.get("status") == "True"
                       for c in _status(o).get("conditions") or []) else "NotReady", "<none>", age(o, now),
                       (_status(o).get("nodeInfo") or {}).get("kubeletVersion", "")]),
    ("", "Endpoints"): ([_NAME, _col("Endpoints"), _AGE],
                        lambda o, now: [_name(o), ",".join(
                            f"{a.get('ip')}:{p.get('port')}" for s in o.get("subsets") or []
                            for a in s.get("addresses") or [] for p in s.get("ports") or [{}]) or "<none>",
                            age(o, now)]),
    ("discovery.k8s.io", "EndpointSlice"): ([_NAME, _col("AddressType"), _col("Ports"), _col("Endpoints"), _AGE],
                                           _endpointslice_row),
    ("coordination.k8s.io", "Lease"): ([_NAME, _col("Holder"), _AGE],
                                       lambda o, now: [_name(o), _spec(o).get("holderIdentity", ""), age(o, now)]),
    ("apiextensions.k8s.io", "CustomResourceDefinition"): (
        [_NAME, _col("Created At", "date")],
        lambda o, now: [_name(o), o["metadata"].get("creationTimestamp", "")]),
}


_FILTER = re.compile(r'\[\?\(@\.([\w.-]+)\s*==\s*["\']([^"\']*)["\']\)\]')


def json_path(obj: Any, path: str) -> Any:
    """The subset of JSONPath CRD printer columns use: `.a.b`, `[0]`, `[?(@.type=="Ready")]`."""
    current: list[Any] = [obj]
    text = path.strip().strip("{}")
    pos = 0
    while pos < len(text) and current:
        if text[pos] == ".":
            match = re.match(r"\.([\w-]+)", text[pos:])
            if not match:
                return None
            current = [c.get(match.group(1)) for c in current if isinstance(c, dict) and match.group(1) in c]
            pos += match.end()
        elif text.startswith("[?", pos):
            match = _FILTER.match(text, pos)
            if not match:
                return None
            key, value = match.group(1), match.group(2)
            current = [item for c in current if isinstance(c, list) for item in c
                       if isinstance(item, dict) and str(json_path(item, "." + key)) == value]
            pos = match.end()
        elif text[pos] == "[":
            match = re.match(r"\[(\d+|\*)\]", text[pos:])
            if not match:
                return None
            index = match.group(1)
            current = [item for c in current if isinstance(c, list)
                       for item in (c if index == "*" else c[int(index):int(index) + 1])]
            pos += match.end()
        else:
            return None
    if not current:
        return None
    return current[0] if len(current) == 1 else current


def _custom_printer(rt: resources.ResourceType) -> tuple[list[dict[str, Any]], Row]:
    """Columns of a CRD version's additionalPrinterColumns (NAME is implicit, AGE only when declared)."""
    specs = [c for c in rt.printer_columns if c.get("jsonPath")]
    columns = [_NAME] + [_col(c.get("name", ""), c.get("type", "string"), c.get("format", ""),
                              c.get("priority", 0), c.get("description", "")) for c in specs]

    def row(obj: dict[str, Any], now: float) -> list[Any]:
        cells: list[Any] = [_name(obj)]
        for spec in specs:
            value = json_path(obj, spec["jsonPath"])
            if spec.get("type") == "date" and isinstance(value, str):
                stamp = times.parse(value)
                value = human_duration(now - stamp) if stamp is not None else value
            elif isinstance(value, (dict, list)):
                value = json.dumps(value, separators=(",", ":"))
            cells.append(value)
        return cells

    return columns, row


def partial(obj: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]}


def table(rt: resources.ResourceType, objs: list[dict[str, Any]], *, now: float,
          include_object: str = "PartialObjectMetadata") -> dict[str, Any]:
    """A meta.k8s.io/v1 Table of `objs` with the kind's columns."""
    if rt.printer_columns:
        columns, row = _custom_printer(rt)
    else:
        columns, row = _PRINTERS.get((rt.group, rt.kind), ([_NAME, _AGE], lambda o, t: [_name(o), age(o, t)]))
    rows = []
    for obj in objs:
        entry: dict[str, Any] = {"cells": row(obj, now)}
        if include_object == "Object":
            entry["object"] = obj
        elif include_object != "None":
            entry["object"] = partial(obj)
        rows.append(entry)
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {}, "columnDefinitions": columns,
            "rows": rows}

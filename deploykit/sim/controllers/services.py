"""Services: load-balancer addresses and the Endpoints that follow ready pods.

Owns two kube-controller-manager loops. The service controller gives a
`type: LoadBalancer` Service an ingress IP (172.18.255.x, as a bare-metal
load balancer would) after a short delay, with EnsuringLoadBalancer /
EnsuredLoadBalancer events, unless the Service carries
`sim.deploykit.io/behavior: pending`; leaving LoadBalancer clears it. The
endpoints controller keeps an Endpoints object per Service with a selector:
ready pods in `addresses`, unready ones in `notReadyAddresses` (each with ip,
nodeName, targetRef, hostname for StatefulSet pods under their governing
Service), ports with targetPort resolved (named container ports included);
it is removed with its Service. ClusterIPs are allocated by the API server
itself (`strategies.prepare_service`). EndpointSlices are not simulated.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Iterable

from deploykit.sim import statuses
from deploykit.sim import store as store_mod
from deploykit.sim.controllers import behaviours, events, objects, reconciling

Obj = dict[str, Any]
_LB_RANGE = ipaddress.ip_network("172.18.255.0/24")


class LoadBalancers(reconciling.Controller):
    resource = ("", "v1", "services")
    component = "service-controller"

    def reconcile(self, namespace: str, name: str) -> float | None:
        key = (namespace, name)
        svc = self.live(namespace, name)
        if svc is None or svc["metadata"].get("deletionTimestamp"):
            self.forget_delay(key)
            return None
        spec, status = svc.get("spec") or {}, dict(svc.get("status") or {})
        ingress = (status.get("loadBalancer") or {}).get("ingress")
        if spec.get("type") != "LoadBalancer":
            self.forget_delay(key)
            if ingress:
                status["loadBalancer"] = {}
                self.write_status(svc, status)
            return None
        if ingress or "pending" in behaviours.object_tokens(svc["metadata"].get("annotations")):
            return None
        if not self.delaying(key):
            self.event(svc, events.NORMAL, "EnsuringLoadBalancer", "Ensuring load balancer")
        left = self.delay(key, self.timing.scaled(self.timing.load_balancer))
        if left is not None:
            return left
        status["loadBalancer"] = {"ingress": [{"ip": self._free_ip(), "ipMode": "VIP"}]}
        svc = self.write_status(svc, status)
        self.event(svc, events.NORMAL, "EnsuredLoadBalancer", "Ensured load balancer")
        return None

    def _free_ip(self) -> str:
        used = {i.get("ip") for svc in self.store.list(self.rt.key)
                for i in ((svc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or ()}
        for offset in range(1, _LB_RANGE.num_addresses - 1):
            ip = str(_LB_RANGE.network_address + offset)
            if ip not in used:
                return ip
        raise statuses.internal("no free load-balancer address in 172.18.255.0/24")


def _resolve_port(target: Any, pod: Obj, protocol: str) -> int | None:
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    for container in (pod.get("spec") or {}).get("containers") or ():
        for port in container.get("ports") or ():
            if port.get("name") == target and port.get("protocol", "TCP") == protocol:
                return port.get("containerPort")
    return None


def endpoint_subsets(service: Obj, pods: list[Obj]) -> list[Obj]:
    """Endpoints subsets for `service` over the pods its selector matches (grouped by resolved ports)."""
    spec = service.get("spec") or {}
    publish_unready = bool(spec.get("publishNotReadyAddresses"))
    groups: dict[tuple[Any, ...], Obj] = {}
    for pod in sorted(pods, key=lambda p: (p.get("status") or {}).get("podIP") or ""):
        status, pspec = pod.get("status") or {}, pod.get("spec") or {}
        if not status.get("podIP") or objects.pod_terminal(pod):
            continue
        if pod["metadata"].get("deletionTimestamp") and not publish_unready:
            continue
        ports = []
        for port in spec.get("ports") or ():
            protocol = port.get("protocol", "TCP")
            resolved = _resolve_port(port.get("targetPort", port.get("port")), pod, protocol)
            if resolved is None:
                ports = None
                break
            entry: Obj = {"port": resolved, "protocol": protocol}
            if port.get("name"):
                entry = {"name": port["name"], **entry}
            if port.get("appProtocol"):
                entry["appProtocol"] = port["appProtocol"]
            ports.append(entry)
        if ports is None:
            continue
        address: Obj = {"ip": status["podIP"]}
        if pspec.get("hostname") and pspec.get("subdomain") == service["metadata"]["name"]:
            address["hostname"] = pspec["hostname"]
        if pspec.get("nodeName"):
            address["nodeName"] = pspec["nodeName"]
        address["targetRef"] = {"kind": "Pod", "namespace": pod["metadata"]["namespace"],
                                "name": pod["metadata"]["name"], "uid": pod["metadata"].get("uid")}
        key = tuple(sorted((p.get("name", ""), p["port"], p["protocol"]) for p in ports))
        subset = groups.setdefault(key, {"ports": ports})
        ready = objects.pod_ready(pod) or publish_unready
        subset.setdefault("addresses" if ready else "notReadyAddresses", []).append(address)
    out = []
    for subset in groups.values():
        ordered: Obj = {}
        for field in ("addresses", "notReadyAddresses", "ports"):
            if subset.get(field):
                ordered[field] = subset[field]
        out.append(ordered)
    return out


class Endpoints(reconciling.Controller):
    resource = ("", "v1", "services")
    owned = (("", "v1", "pods"),)
    component = "endpoint-controller"

    def __init__(self, ctx: reconciling.Context) -> None:
        super().__init__(ctx)
        self.endpoints_rt = ctx.rt("", "v1", "endpoints")

    def keys_for(self, event: store_mod.Event) -> Iterable[reconciling.Key]:
        meta = event.obj["metadata"]
        if event.key == self.rt.key:
            yield meta.get("namespace", ""), meta["name"]
            return
        namespace = meta.get("namespace", "")
        labels = [meta.get("labels") or {}]
        if event.old is not None:
            labels.append(event.old["metadata"].get("labels") or {})
        for svc in self.store.list(self.rt.key, namespace):
            selector = (svc.get("spec") or {}).get("selector")
            if selector and any(all(lab.get(k) == v for k, v in selector.items()) for lab in labels):
                yield namespace, svc["metadata"]["name"]

    def reconcile(self, namespace: str, name: str) -> float | None:
        svc = self.live(namespace, name)
        current = self.store.get(self.endpoints_rt.key, namespace, name)
        if svc is None or svc["metadata"].get("deletionTimestamp"):
            if current is not None and svc is None:
                self.api.delete(self.endpoints_rt, namespace, name)
            return None
        selector = (svc.get("spec") or {}).get("selector")
        if not selector:
            return None  # Endpoints of a selector-less Service are the user's
        pods = [p for p in self.store.list(("", "pods"), namespace)
                if all((p["metadata"].get("labels") or {}).get(k) == v for k, v in selector.items())]
        subsets = endpoint_subsets(svc, pods)
        labels = dict(svc["metadata"].get("labels") or {})
        labels["endpoints.kubernetes.io/managed-by"] = "endpoint-controller"
        if current is not None and (current.get("subsets") or []) == subsets and \
                current["metadata"].get("labels") == labels:
            return None
        meta: Obj = {"name": name, "namespace": namespace, "labels": labels,
                     "annotations": {"endpoints.kubernetes.io/last-change-trigger-time": self.api.now()}}
        body: Obj = {"apiVersion": "v1", "kind": "Endpoints", "metadata": meta}
        if subsets:
            body["subsets"] = subsets
        if current is None:
            self.api.create(self.endpoints_rt, namespace, body, manager=self.manager)
        else:
            body["metadata"] = dict(current["metadata"], labels=labels, annotations={
                **(current["metadata"].get("annotations") or {}), **meta["annotations"]})
            self.api.update(self.endpoints_rt, namespace, name, body, manager=self.manager)
        return None


__all__ = ["Endpoints", "LoadBalancers", "endpoint_subsets"]

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
itself (`strategies.prepare_service`). Next to each Endpoints, the same
controller keeps the Service's EndpointSlices (discovery.k8s.io/v1, as the
endpointslice controller does): labelled `kubernetes.io/service-name` and
managed-by, owned by the Service, one per resolved port set and up to 100
endpoints, each with ready / serving / terminating conditions; a deleted or
edited slice is put back.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Iterable

from deploykit.sim import statuses
from deploykit.sim import store as store_mod
from deploykit.sim.controllers import behaviours, events, objects, reconciling

Obj = dict[str, Any]
_LB_RANGE = ipaddress.ip_network("172.18.255.0/24")
SERVICE_NAME_LABEL = "kubernetes.io/service-name"
SLICE_MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by"
SLICE_MANAGER = "endpointslice-controller.k8s.io"
HEADLESS_LABEL = "service.kubernetes.io/headless"
MAX_ENDPOINTS_PER_SLICE = 100  # the controller's --max-endpoints-per-slice default


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


def _endpoint_port(port: Obj, resolved: int, protocol: str, *, always_named: bool = False) -> Obj:
    """One resolved Service port as Endpoints (name only when set) or EndpointSlices (name always) list it."""
    entry: Obj = {"name": port.get("name", "")} if always_named or port.get("name") else {}
    entry.update(port=resolved, protocol=protocol)
    if port.get("appProtocol"):
        entry["appProtocol"] = port["appProtocol"]
    return entry


def _pod_serves(service: Obj, pod: Obj) -> bool:
    """A pod is behind its Service once it has an IP, until it finished."""
    return bool((pod.get("status") or {}).get("podIP")) and not objects.pod_terminal(pod)


def _hostname(service: Obj, pod: Obj) -> str | None:
    spec = pod.get("spec") or {}
    if spec.get("hostname") and spec.get("subdomain") == service["metadata"]["name"]:
        return spec["hostname"]
    return None


def _target_ref(pod: Obj) -> Obj:
    meta = pod["metadata"]
    return {"kind": "Pod", "namespace": meta["namespace"], "name": meta["name"], "uid": meta.get("uid")}


def endpoint_subsets(service: Obj, pods: list[Obj]) -> list[Obj]:
    """Endpoints subsets for `service` over the pods its selector matches (grouped by resolved ports)."""
    spec = service.get("spec") or {}
    publish_unready = bool(spec.get("publishNotReadyAddresses"))
    groups: dict[tuple[Any, ...], Obj] = {}
    for pod in sorted(pods, key=lambda p: (p.get("status") or {}).get("podIP") or ""):
        status, pspec = pod.get("status") or {}, pod.get("spec") or {}
        if not _pod_serves(service, pod):
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
            ports.append(_endpoint_port(port, resolved, protocol))
        if ports is None:
            continue
        address: Obj = {"ip": status["podIP"]}
        hostname = _hostname(service, pod)
        if hostname:
            address["hostname"] = hostname
        if pspec.get("nodeName"):
            address["nodeName"] = pspec["nodeName"]
        address["targetRef"] = _target_ref(pod)
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


def endpoint_slices(service: Obj, pods: list[Obj]) -> list[tuple[list[Obj] | None, list[Obj]]]:
    """(ports, endpoints) of each EndpointSlice `service` needs: one per resolved port set, 100 endpoints
    at most each, terminating pods included (ready False, serving as their readiness); one slice
    without ports or endpoints when no pod serves."""
    spec = service.get("spec") or {}
    publish_unready = bool(spec.get("publishNotReadyAddresses"))
    groups: dict[tuple[Any, ...], tuple[list[Obj], list[Obj]]] = {}
    for pod in sorted(pods, key=lambda p: p["metadata"]["name"]):
        if not _pod_serves(service, pod):
            continue
        ports = []
        for port in spec.get("ports") or ():
            protocol = port.get("protocol", "TCP")
            resolved = _resolve_port(port.get("targetPort", port.get("port")), pod, protocol)
            if resolved is not None:  # a port the pod cannot serve is left out, not the pod
                ports.append(_endpoint_port(port, resolved, protocol, always_named=True))
        serving = objects.pod_ready(pod)
        terminating = bool(pod["metadata"].get("deletionTimestamp"))
        endpoint: Obj = {"addresses": [pod["status"]["podIP"]], "conditions": {
            "ready": publish_unready or (serving and not terminating), "serving": serving,
            "terminating": terminating}}
        hostname = _hostname(service, pod)
        if hostname:
            endpoint["hostname"] = hostname
        endpoint["targetRef"] = _target_ref(pod)
        if (pod.get("spec") or {}).get("nodeName"):
            endpoint["nodeName"] = pod["spec"]["nodeName"]
        key = tuple((p["name"], p["port"], p["protocol"]) for p in ports)
        groups.setdefault(key, (ports, []))[1].append(endpoint)
    out: list[tuple[list[Obj] | None, list[Obj]]] = []
    for ports, endpoints in groups.values():
        for start in range(0, len(endpoints), MAX_ENDPOINTS_PER_SLICE):
            out.append((ports, endpoints[start:start + MAX_ENDPOINTS_PER_SLICE]))
    return out or [(None, [])]


class Endpoints(reconciling.Controller):
    resource = ("", "v1", "services")
    owned = (("", "v1", "pods"), ("discovery.k8s.io", "v1", "endpointslices"))
    component = "endpoint-controller"

    def __init__(self, ctx: reconciling.Context) -> None:
        super().__init__(ctx)
        self.endpoints_rt = ctx.rt("", "v1", "endpoints")
        self.slices_rt = ctx.rt("discovery.k8s.io", "v1", "endpointslices")

    def keys_for(self, event: store_mod.Event) -> Iterable[reconciling.Key]:
        meta = event.obj["metadata"]
        if event.key == self.rt.key:
            yield meta.get("namespace", ""), meta["name"]
            return
        namespace = meta.get("namespace", "")
        if event.key == self.slices_rt.key:  # a managed slice changed or went: put it back
            labels = meta.get("labels") or {}
            if labels.get(SLICE_MANAGED_BY_LABEL) == SLICE_MANAGER and labels.get(SERVICE_NAME_LABEL):
                yield namespace, labels[SERVICE_NAME_LABEL]
            return
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
        self._sync_slices(svc, pods)
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


    def _sync_slices(self, svc: Obj, pods: list[Obj]) -> None:
        """Make the Service's managed EndpointSlices say what `endpoint_slices` says, writing only changes."""
        meta = svc["metadata"]
        namespace, name = meta["namespace"], meta["name"]
        labels = {k: v for k, v in (meta.get("labels") or {}).items()
                  if k not in (SERVICE_NAME_LABEL, SLICE_MANAGED_BY_LABEL, HEADLESS_LABEL)}
        labels.update({SERVICE_NAME_LABEL: name, SLICE_MANAGED_BY_LABEL: SLICE_MANAGER})
        if (svc.get("spec") or {}).get("clusterIP") == "None":
            labels[HEADLESS_LABEL] = ""
        owner = {"apiVersion": "v1", "kind": "Service", "name": name, "uid": meta.get("uid"), "controller": True,
                 "blockOwnerDeletion": True}
        spare = sorted((s for s in self.store.list(self.slices_rt.key, namespace)
                        if (s["metadata"].get("labels") or {}).get(SERVICE_NAME_LABEL) == name
                        and s["metadata"]["labels"].get(SLICE_MANAGED_BY_LABEL) == SLICE_MANAGER),
                       key=lambda s: s["metadata"]["name"])
        wanted = []
        for ports, endpoints in endpoint_slices(svc, pods):
            same = next((s for s in spare if s.get("ports") == ports and s.get("endpoints") == endpoints
                         and s["metadata"].get("labels") == labels
                         and s["metadata"].get("ownerReferences") == [owner]), None)
            if same is not None:
                spare.remove(same)
            else:
                wanted.append((ports, endpoints))
        for ports, endpoints in wanted:
            body: Obj = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
                         "endpoints": endpoints}
            if ports is not None:
                body["ports"] = ports
            if spare:
                current = spare.pop(0)
                body["metadata"] = dict(current["metadata"], labels=labels, ownerReferences=[owner])
                self.api.update(self.slices_rt, namespace, current["metadata"]["name"], body, manager=self.manager)
            else:
                body["metadata"] = {"generateName": f"{name[:57]}-", "namespace": namespace, "labels": labels,
                                    "ownerReferences": [owner]}
                self.api.create(self.slices_rt, namespace, body, manager=self.manager)
        for extra in spare:
            self.api.delete(self.slices_rt, namespace, extra["metadata"]["name"])


__all__ = ["Endpoints", "LoadBalancers", "endpoint_slices", "endpoint_subsets"]

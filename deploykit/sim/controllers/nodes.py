"""Simulated Nodes: the fixed set of worker nodes pods are scheduled to, and their pod IP ranges.

Owns creating the Node objects at start (default 3: `sim-node-1` ...) with
what a kubelet registers (hostname / os / arch labels, InternalIP and
Hostname addresses, capacity and allocatable, nodeInfo with the simulated
Kubernetes version, Ready and the pressure conditions, podCIDR) and their
Leases in kube-node-lease; existing nodes (a restored state) are kept. Also
hands out pod IPs from each node's podCIDR. Nodes do not fail or go away.
"""

from __future__ import annotations

import hashlib
import ipaddress
from typing import Any

from deploykit.sim import definitions, statuses, times

PREFIX = "sim-node-"
ALLOCATABLE = {"cpu": "4", "ephemeral-storage": "100Gi", "hugepages-2Mi": "0", "memory": "16Gi", "pods": "110"}


def node_name(index: int) -> str:
    return f"{PREFIX}{index}"


def _node(index: int, now: str) -> dict[str, Any]:
    name = node_name(index)
    digest = hashlib.sha256(name.encode()).hexdigest()
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {
            "beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
            "kubernetes.io/hostname": name, "kubernetes.io/os": "linux"},
            "annotations": {"node.alpha.kubernetes.io/ttl": "0",
                            "volumes.kubernetes.io/controller-managed-attach-detach": "true"}},
        "spec": {"podCIDR": f"10.244.{index}.0/24", "podCIDRs": [f"10.244.{index}.0/24"],
                 "providerID": f"sim://{name}"},
        "status": {
            "addresses": [{"type": "InternalIP", "address": f"172.18.0.{index + 1}"},
                          {"type": "Hostname", "address": name}],
            "allocatable": dict(ALLOCATABLE), "capacity": dict(ALLOCATABLE),
            "conditions": [
                _condition("MemoryPressure", "False", "KubeletHasSufficientMemory",
                           "kubelet has sufficient memory available", now),
                _condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure", now),
                _condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available",
                           now),
                _condition("Ready", "True", "KubeletReady", "kubelet is posting ready status", now),
            ],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {"architecture": "amd64", "bootID": digest[:8] + "-" + digest[8:12] + "-" + digest[12:16]
                         + "-" + digest[16:20] + "-" + digest[20:32],
                         "containerRuntimeVersion": "containerd://2.1.0", "kernelVersion": "6.1.0-sim",
                         "kubeProxyVersion": "", "kubeletVersion": f"v{definitions.KUBE_VERSION}",
                         "machineID": digest[:32], "operatingSystem": "linux",
                         "osImage": "deploykit simulated node", "systemUUID": digest[32:64]},
        },
    }


def _condition(kind: str, status: str, reason: str, message: str, now: str) -> dict[str, Any]:
    return {"type": kind, "status": status, "lastHeartbeatTime": now, "lastTransitionTime": now, "reason": reason,
            "message": message}


class Nodes:
    """The simulated nodes and their pod IP allocation."""

    def __init__(self, api: Any, *, count: int = 3) -> None:
        if count < 1:
            raise ValueError(f"a simulated cluster needs at least 1 node, not {count}")
        self.api = api
        self.count = count
        self._rt = api.registry.lookup("", "v1", "nodes")
        self._used: dict[str, set[str]] = {}
        self._next: dict[str, int] = {}

    def ensure(self) -> None:
        """Create the nodes (and their Leases) that do not exist yet."""
        leases = self.api.registry.lookup("coordination.k8s.io", "v1", "leases")
        now = self.api.now()
        for index in range(1, self.count + 1):
            name = node_name(index)
            if self.api.store.get(self._rt.key, "", name) is None:
                body = _node(index, now)
                created = self.api.create(self._rt, None, dict(body, status={}), manager="kubelet").obj
                self.api.update(self._rt, None, name, dict(created, status=body["status"]), manager="kubelet",
                                subresource="status")
            if self.api.store.get(leases.key, "kube-node-lease", name) is None:
                node = self.api.store.get(self._rt.key, "", name)
                try:
                    self.api.create(leases, "kube-node-lease", {"metadata": {
                        "name": name, "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": name,
                                                           "uid": node["metadata"]["uid"]}]},
                        "spec": {"holderIdentity": name, "leaseDurationSeconds": 40,
                                 "renewTime": times.rfc3339_micro(self.api.clock())}}, manager="kubelet")
                except statuses.ApiError:
                    pass  # kube-node-lease missing or terminating: leases are decoration
        self._seed_ips()

    def all(self) -> list[dict[str, Any]]:
        return [n for n in self.api.store.list(self._rt.key) if not n["metadata"].get("deletionTimestamp")]

    def get(self, name: str) -> dict[str, Any] | None:
        return self.api.store.get(self._rt.key, "", name)

    def host_ip(self, name: str) -> str:
        node = self.get(name) or {}
        for address in (node.get("status") or {}).get("addresses") or ():
            if address.get("type") == "InternalIP":
                return address["address"]
        return "172.18.0.254"

    def _network(self, name: str) -> ipaddress.IPv4Network:
        cidr = ((self.get(name) or {}).get("spec") or {}).get("podCIDR") or "10.244.250.0/24"
        return ipaddress.ip_network(cidr, strict=False)

    def _seed_ips(self) -> None:
        for pod in self.api.store.list(("", "pods")):
            node, ip = (pod.get("spec") or {}).get("nodeName"), (pod.get("status") or {}).get("podIP")
            if node and ip:
                self._used.setdefault(node, set()).add(ip)

    def allocate_ip(self, name: str) -> str:
        network = self._network(name)
        used = self._used.setdefault(name, set())
        hosts = network.num_addresses - 3  # network, the gateway at .1, broadcast
        start = self._next.get(name, 0)
        for step in range(hosts):
            offset = (start + step) % hosts
            ip = str(network.network_address + 2 + offset)
            if ip not in used:
                used.add(ip)
                self._next[name] = offset + 1
                return ip
        raise RuntimeError(f"node {name} has no free pod IP in {network}")

    def release_ip(self, name: str, ip: str | None) -> None:
        if ip:
            self._used.get(name, set()).discard(ip)


__all__ = ["Nodes", "node_name"]

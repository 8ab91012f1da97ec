"""Ingresses: a load-balancer address in status, as an ingress controller publishes it.

Owns giving every Ingress `status.loadBalancer.ingress: [{ip}]` (the first
node's address, as ingress-nginx on a small cluster does) after a short
delay, with the controller's Sync event; `sim.deploykit.io/behavior: pending`
leaves it without an address. Routing is not simulated.
"""

from __future__ import annotations

from typing import Any

from deploykit.sim.controllers import behaviours, events, reconciling

Obj = dict[str, Any]
ADDRESS = "172.18.0.2"


class Ingresses(reconciling.Controller):
    resource = ("networking.k8s.io", "v1", "ingresses")
    manager = "nginx-ingress-controller"
    component = "nginx-ingress-controller"

    def reconcile(self, namespace: str, name: str) -> float | None:
        key = (namespace, name)
        ing = self.live(namespace, name)
        if ing is None or ing["metadata"].get("deletionTimestamp"):
            self.forget_delay(key)
            return None
        if ((ing.get("status") or {}).get("loadBalancer") or {}).get("ingress") or \
                "pending" in behaviours.object_tokens(ing["metadata"].get("annotations")):
            return None
        if not self.delaying(key):
            self.event(ing, events.NORMAL, "Sync", "Scheduled for sync")
        left = self.delay(key, self.timing.scaled(self.timing.load_balancer))
        if left is not None:
            return left
        self.write_status(ing, dict(ing.get("status") or {}, loadBalancer={"ingress": [{"ip": ADDRESS}]}))
        return None


__all__ = ["Ingresses"]

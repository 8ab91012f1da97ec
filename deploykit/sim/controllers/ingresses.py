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

    def __init__(self, ctx: reconciling.Context) -> None:
        super().__init__(ctx)
        self._due: dict[reconciling.Key, float] = {}

    def reconcile(self, namespace: str, name: str) -> float | None:
        key = (namespace, name)
        ing = self.live(namespace, name)
        if ing is None or ing["metadata"].get("deletionTimestamp"):
            self._due.pop(key, None)
            return None
        if ((ing.get("status") or {}).get("loadBalancer") or {}).get("ingress") or \
                "pending" in behaviours.object_tokens(ing["metadata"].get("annotations")):
            return None
        due = self._due.get(key)
        if due is None:
            self.event(ing, events.NORMAL, "Sync", "Scheduled for sync")
            wait = self.timing.scaled(self.timing.load_balancer)
            self._due[key] = self.ctx.now() + wait
            return wait
        if due > self.ctx.now():
            return due - self.ctx.now()
        del self._due[key]
        self.write_status(ing, dict(ing.get("status") or {}, loadBalancer={"ingress": [{"ip": ADDRESS}]}))
        return None


__all__ = ["Ingresses"]

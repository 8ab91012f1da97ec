"""ServiceAccounts: every namespace has its `default` ServiceAccount, as kube-controller-manager keeps it.

Owns the ServiceAccount controller's one job: a namespace that is not
terminating gets a `default` ServiceAccount (the namespaces a cluster starts
with included), and deleting it brings a new one. Token Secrets are not made
(the real controller stopped making them in 1.24). Must not touch other
ServiceAccounts.
"""

from __future__ import annotations

from typing import Iterable

from deploykit.sim import store as store_mod
from deploykit.sim.controllers import reconciling

DEFAULT = "default"


class ServiceAccounts(reconciling.Controller):
    resource = ("", "v1", "namespaces")
    owned = (("", "v1", "serviceaccounts"),)
    component = "serviceaccount-controller"

    def __init__(self, ctx: reconciling.Context) -> None:
        super().__init__(ctx)
        self.accounts_rt = ctx.rt("", "v1", "serviceaccounts")

    def keys_for(self, event: store_mod.Event) -> Iterable[reconciling.Key]:
        meta = event.obj["metadata"]
        if event.key == self.rt.key:
            yield "", meta["name"]
        elif event.type == store_mod.DELETED and meta["name"] == DEFAULT:
            yield "", meta.get("namespace", "")

    def reconcile(self, namespace: str, name: str) -> float | None:
        ns = self.live(namespace, name)
        if ns is None or ns["metadata"].get("deletionTimestamp"):
            return None
        if self.store.get(self.accounts_rt.key, name, DEFAULT) is None:
            self.api.create(self.accounts_rt, name, {"metadata": {"name": DEFAULT}}, manager=self.manager)
        return None


__all__ = ["ServiceAccounts"]

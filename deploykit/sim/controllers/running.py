"""The simulated control plane and nodes as one unit: build every component, start and stop them together.

Owns assembling the components on one server's internal API (the shared
context, the event recorder, the log book, the nodes), starting them on the
running event loop once the server listens, stopping them (kubelet workers
cancelled, timers dropped) and handing the pods/log endpoint to the REST
layer. Must not hold controller logic.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from deploykit.sim.controllers import (daemonsets, deployments, events, ingresses, jobs, logs, nodes as nodes_mod,
                                       pods, pvcs, reconciling, replicasets, scheduling, serviceaccounts, services,
                                       statefulsets)
from deploykit.sim.controllers import timing as timing_mod


class Controllers:
    def __init__(self, api: Any, *, timing: timing_mod.Timing | None = None, nodes: int = 3) -> None:
        self.timing = timing or timing_mod.Timing()
        self.recorder = events.Recorder(api, clock=api.clock)
        self.logbook = logs.LogBook(clock=api.clock)
        self.nodes = nodes_mod.Nodes(api, count=nodes)
        self.context = reconciling.Context(api=api, timing=self.timing, recorder=self.recorder, logbook=self.logbook)
        ctx = self.context
        self.kubelet = pods.Kubelet(ctx, self.nodes)
        self.components: list[reconciling.Controller] = [
            scheduling.Scheduler(ctx, self.nodes), self.kubelet, replicasets.ReplicaSets(ctx),
            deployments.Deployments(ctx), statefulsets.StatefulSets(ctx), daemonsets.DaemonSets(ctx, self.nodes),
            jobs.Jobs(ctx), services.LoadBalancers(ctx), services.Endpoints(ctx), pvcs.Claims(ctx),
            ingresses.Ingresses(ctx), serviceaccounts.ServiceAccounts(ctx),
        ]

    def start(self) -> None:
        """Create the nodes and start every component (call on the server's loop)."""
        self.nodes.ensure()
        self.recorder.start()
        for component in self.components:
            component.start()

    def stop(self) -> None:
        for component in self.components:
            component.stop()
        self.recorder.stop()

    async def serve_log(self, request: web.Request, pod: dict[str, Any]) -> web.StreamResponse:
        return await self.logbook.serve(request, pod)


__all__ = ["Controllers"]

"""The simulator as a running server: aiohttp application, bootstrap objects, kubeconfig.

Owns assembling the parts (store, internal API, REST handler, collector,
faults, persistence) into one aiohttp application on a loopback port, the
objects a fresh cluster has (namespaces default, kube-system, kube-public,
kube-node-lease; the `kubernetes` Service), starting and stopping on an
asyncio loop, and writing a kubeconfig with the context `deploykit-sim`.
Must not implement API semantics. `embedded` runs it in a background thread;
`deploykit sim serve` runs it in the foreground.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import pathlib
from typing import Any, Callable

from aiohttp import web

from deploykit.sim import api as api_mod
from deploykit.sim import auditing, collecting, faults as faults_mod, persistence, rest, watching
from deploykit.sim import store as store_mod
from deploykit.sim.controllers import running as controllers_mod
from deploykit.sim.controllers import timing as timing_mod

CONTEXT = "deploykit-sim"
SYSTEM_MANAGER = "kube-apiserver"
BOOT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
# Pending connections the listening socket queues, as Go's net.Listen (the kernel's somaxconn): Helm 4 sends one
# request per object at once, and with aiohttp's default of 128 an install of 5,000 objects saw connection resets.
BACKLOG = 4096


@dataclasses.dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = 0
    state_dir: str | None = None
    faults: faults_mod.Faults | None = None
    watch: watching.Options = dataclasses.field(default_factory=watching.Options)
    snapshot_delay: float = 0.5  # debounce of state snapshots
    history: int = store_mod.DEFAULT_HISTORY  # changes kept per collection for watches to resume from
    controllers: bool = True  # simulated controllers, scheduler and kubelet (deploykit.sim.controllers)
    speed: float = 1.0  # divides every simulated delay (back-off, readiness, deadlines)
    nodes: int = 3  # simulated worker nodes


def kubeconfig_text(url: str, *, namespace: str = "default") -> str:
    return (
        "apiVersion: v1\n"
        "kind: Config\n"
        "clusters:\n"
        f"- name: {CONTEXT}\n"
        "  cluster:\n"
        f"    server: {url}\n"
        "users:\n"
        f"- name: {CONTEXT}\n"
        "  user:\n"
        f"    token: {CONTEXT}\n"
        "contexts:\n"
        f"- name: {CONTEXT}\n"
        "  context:\n"
        f"    cluster: {CONTEXT}\n"
        f"    user: {CONTEXT}\n"
        f"    namespace: {namespace}\n"
        f"current-context: {CONTEXT}\n"
    )


def write_kubeconfig(path: str | os.PathLike[str], url: str) -> pathlib.Path:
    target = pathlib.Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(kubeconfig_text(url), encoding="utf-8")
    os.chmod(tmp, 0o600)
    os.replace(tmp, target)
    return target


class Server:
    """One simulated cluster. Create, `await start()`, `await stop()`; all on one event loop."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self.api = api_mod.Api(store=store_mod.Store(history=self.settings.history))
        self.port = self.settings.port
        self.handler = rest.Handler(api=self.api, server_address=lambda: f"{self.settings.host}:{self.port}",
                                    watch_options=self.settings.watch)
        self.collector = collecting.Collector(self.api)
        self.audit = auditing.Audit()
        self.persistence: persistence.Snapshots | None = None
        if self.settings.state_dir:
            self.persistence = persistence.Snapshots(self.api.store, self.settings.state_dir,
                                                     delay=self.settings.snapshot_delay)
        self._runner: web.AppRunner | None = None
        self.controllers: controllers_mod.Controllers | None = None
        if self.settings.controllers:
            self.controllers = controllers_mod.Controllers(
                self.api, timing=timing_mod.Timing(speed=self.settings.speed), nodes=self.settings.nodes)
            self.handler.log_source = self.controllers.serve_log
        # Hooks run once the server listens (controllers of the next layer start here).
        self.on_started: list[Callable[["Server"], Any]] = []

    @property
    def url(self) -> str:
        return f"http://{self.settings.host}:{self.port}"

    def application(self) -> web.Application:
        middlewares = [self.audit.middleware()]
        if self.settings.faults is not None and self.settings.faults.active:
            middlewares.append(faults_mod.middleware(self.settings.faults))
        app = web.Application(client_max_size=rest.MAX_BODY, middlewares=middlewares)
        app.router.add_route("*", "/{tail:.*}", self.handler.handle)
        return app

    def bootstrap(self) -> None:
        """Objects every cluster starts with (skipped when a restored state has them)."""
        namespaces = self.api.registry.lookup("", "v1", "namespaces")
        services = self.api.registry.lookup("", "v1", "services")
        assert namespaces is not None and services is not None
        for name in BOOT_NAMESPACES:
            if self.api.store.get(namespaces.key, "", name) is None:
                self.api.create(namespaces, None, {"metadata": {"name": name}}, manager=SYSTEM_MANAGER)
        if self.api.store.get(services.key, "default", "kubernetes") is None:
            self.api.create(services, "default", {
                "metadata": {"name": "kubernetes", "labels": {"component": "apiserver", "provider": "kubernetes"}},
                "spec": {"clusterIP": "10.96.0.1", "ports": [{"name": "https", "port": 443, "targetPort": 6443}]},
            }, manager=SYSTEM_MANAGER)

    async def start(self) -> None:
        if self.persistence is not None:
            self.persistence.load(self.api)
        self.bootstrap()
        self.collector.start()
        if self.persistence is not None:
            self.persistence.start()
        if self.controllers is not None:
            self.controllers.start()
        self._runner = web.AppRunner(self.application(), access_log=None, handle_signals=False,
                                     shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.host, self.settings.port, reuse_address=True,
                           backlog=BACKLOG)
        await site.start()
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        if sockets:
            self.port = sockets[0].getsockname()[1]
        for hook in self.on_started:
            result = hook(self)
            if asyncio.iscoroutine(result):
                await result

    async def stop(self) -> None:
        if self.controllers is not None:
            self.controllers.stop()
        self.collector.stop()
        if self.persistence is not None:
            await self.persistence.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


def run_forever(settings: Settings, *, kubeconfig_out: str | None = None,
                on_ready: Callable[[Server], None] | None = None) -> None:
    """Serve until interrupted (SIGINT / SIGTERM)."""
    import signal

    async def main() -> None:
        server = Server(settings)
        await server.start()
        if kubeconfig_out:
            write_kubeconfig(kubeconfig_out, server.url)
        if on_ready:
            on_ready(server)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await server.stop()

    asyncio.run(main())


__all__ = ["Server", "Settings", "kubeconfig_text", "write_kubeconfig", "run_forever"]

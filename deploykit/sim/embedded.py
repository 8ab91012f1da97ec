"""The simulator in-process: a server on its own event loop in a background thread.

Owns starting and stopping that thread, the handle tests and the demo use
(`url`, `port`, `kubeconfig` path, `server`, `call()` to run a function on the
loop thread, `stop()`), and writing the handle's kubeconfig (context
`deploykit-sim`). Everything that touches the store must run on the loop
thread: use `handle.call(fn)` from other threads. Must not implement API
semantics.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import pathlib
import tempfile
import threading
from typing import Callable, Iterator, TypeVar

from deploykit.sim import faults as faults_mod
from deploykit.sim import serving, watching

T = TypeVar("T")


class Handle:
    def __init__(self, server: serving.Server, loop: asyncio.AbstractEventLoop, thread: threading.Thread,
                 kubeconfig: pathlib.Path, cleanup: Callable[[], None]) -> None:
        self.server = server
        self.loop = loop
        self._thread = thread
        self.kubeconfig = kubeconfig
        self._cleanup = cleanup
        self._stopped = False

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def port(self) -> int:
        return self.server.port

    def call(self, fn: Callable[[], T], timeout: float = 30.0) -> T:
        """Run `fn()` on the server's loop thread and return its result (or raise its error)."""
        future: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            try:
                future.set_result(fn())
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                future.set_exception(exc)

        self.loop.call_soon_threadsafe(run)
        return future.result(timeout)

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        future = asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop)
        try:
            future.result(30)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(30)
            self._cleanup()


def start(*, port: int = 0, state_dir: str | None = None, faults: faults_mod.Faults | None = None,
          kubeconfig_path: str | None = None, watch: watching.Options | None = None,
          history: int | None = None, prepare: Callable[[serving.Server], None] | None = None,
          controllers: bool = True, speed: float = 1.0, nodes: int = 3) -> Handle:
    """Start a simulator thread and return its handle once it listens. Call `stop()` when done.

    `controllers=False` serves the API alone (objects never change by themselves); `speed` divides
    every simulated delay (speed 10: the kubelet's 10 s crash back-off takes 1 s); `nodes` is the
    number of simulated worker nodes.
    """
    watch_options = watch or watching.Options()
    if faults is not None and faults.watch_close_after is not None:
        watch_options.close_after = faults.watch_close_after
    settings = serving.Settings(port=port, state_dir=state_dir, faults=faults, watch=watch_options,
                                controllers=controllers, speed=speed, nodes=nodes)
    if history is not None:
        settings.history = history
    loop = asyncio.new_event_loop()
    ready: concurrent.futures.Future[serving.Server] = concurrent.futures.Future()

    def main() -> None:
        asyncio.set_event_loop(loop)
        try:
            server = serving.Server(settings)
            if prepare is not None:
                prepare(server)
            loop.run_until_complete(server.start())
        except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
            ready.set_exception(exc)
            loop.close()
            return
        ready.set_result(server)
        try:
            loop.run_forever()
        finally:
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

    thread = threading.Thread(target=main, name="deploykit-sim", daemon=True)
    thread.start()
    server = ready.result(60)
    tmpdir: tempfile.TemporaryDirectory[str] | None = None
    if kubeconfig_path is None:
        tmpdir = tempfile.TemporaryDirectory(prefix="deploykit-sim-")
        kubeconfig_path = str(pathlib.Path(tmpdir.name) / "kubeconfig")
    path = serving.write_kubeconfig(kubeconfig_path, server.url)
    return Handle(server, loop, thread, path, tmpdir.cleanup if tmpdir else (lambda: None))


@contextlib.contextmanager
def running(*, port: int = 0, state_dir: str | None = None, faults: faults_mod.Faults | None = None,
            kubeconfig_path: str | None = None, watch: watching.Options | None = None, history: int | None = None,
            prepare: Callable[[serving.Server], None] | None = None, controllers: bool = True,
            speed: float = 1.0, nodes: int = 3) -> Iterator[Handle]:
    """A simulator for the duration of a `with` block (options as `start`)."""
    handle = start(port=port, state_dir=state_dir, faults=faults, kubeconfig_path=kubeconfig_path, watch=watch,
                   history=history, prepare=prepare, controllers=controllers, speed=speed, nodes=nodes)
    try:
        yield handle
    finally:
        handle.stop()


__all__ = ["Handle", "running", "start"]

"""Shared fixtures for sim tests: running simulators on free loopback ports.

    sim            session-scoped simulator, API server alone (share it; use a unique namespace per test)
    sim_fresh      a simulator of its own for one test (state-changing tests, restarts)
    sim_factory    start(faults=..., state_dir=..., watch=...) -> handle; all stopped after the test
    sim_namespace  a new, unique namespace on the session simulator
    sim_kube       deploykit.kube.Kube connected to the session simulator
    sim_http       raw HTTP against the session simulator: sim_http(method, path, body=None,
                   content_type="application/json", headers=None) -> (status, decoded body, headers)

A handle has `.url`, `.port`, `.kubeconfig` (path of a kubeconfig with context
`deploykit-sim`), `.server`, `.call(fn)` (run fn on the server's loop thread)
and `.stop()`.
"""

from __future__ import annotations

import itertools
import json
import urllib.error
import urllib.request
import uuid
from typing import Any, Callable, Iterator

import pytest

from deploykit.sim import embedded

_counter = itertools.count()


@pytest.fixture(scope="session")
def sim() -> Iterator[embedded.Handle]:
    handle = embedded.start(controllers=False)
    yield handle
    handle.stop()


@pytest.fixture
def sim_fresh() -> Iterator[embedded.Handle]:
    handle = embedded.start(controllers=False)
    yield handle
    handle.stop()


@pytest.fixture
def sim_factory() -> Iterator[Callable[..., embedded.Handle]]:
    handles: list[embedded.Handle] = []

    def start(**options: Any) -> embedded.Handle:
        options.setdefault("controllers", False)
        handle = embedded.start(**options)
        handles.append(handle)
        return handle

    yield start
    for handle in handles:
        handle.stop()


def create_namespace(url: str, name: str) -> None:
    body = json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}).encode()
    request = urllib.request.Request(f"{url}/api/v1/namespaces", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


class Http:
    """Raw HTTP to a simulator; answers (status code, JSON-decoded body or text, headers)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def __call__(self, method: str, path: str, body: Any = None, *, content_type: str = "application/json",
                 headers: dict[str, str] | None = None) -> tuple[int, Any, dict[str, str]]:
        data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": content_type, **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, _decoded(response.read()), dict(response.headers)
        except urllib.error.HTTPError as exc:
            return exc.code, _decoded(exc.read()), dict(exc.headers)


def _decoded(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")


@pytest.fixture
def sim_http(sim: embedded.Handle) -> Http:
    return Http(sim.url)


@pytest.fixture
def sim_namespace(sim: embedded.Handle) -> str:
    name = f"t{next(_counter)}-{uuid.uuid4().hex[:8]}"
    create_namespace(sim.url, name)
    return name


@pytest.fixture
def sim_kube(sim: embedded.Handle) -> Iterator[Any]:
    """deploykit's own client (deploykit.kube.Kube) connected to the session simulator."""
    from deploykit.kube.client import Kube

    with Kube.connect(kubeconfig=sim.kubeconfig) as kube:
        yield kube

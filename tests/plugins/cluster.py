"""Shared fixtures for tests that need a simulated cluster (controllers, scheduler, kubelet), not just the API.

    sim_cluster            session-scoped simulator with controllers at CLUSTER_SPEED (share it; use a
                           unique namespace per test)
    sim_cluster_namespace  a new, unique namespace on it
    sim_cluster_http       raw HTTP against it (same call as sim_http)
    sim_cluster_factory    start(**options) -> handle with controllers on (speed CLUSTER_SPEED unless
                           given); all stopped after the test
    wait_until             wait_until(predicate, timeout=5.0, what="...") -> the predicate's first truthy value
    cluster_client         the official kubernetes ApiClient for sim_cluster (session-scoped)
    cluster_core / cluster_apps / cluster_batch   CoreV1Api / AppsV1Api / BatchV1Api on it

At CLUSTER_SPEED every simulated delay is 20 times shorter: a Deployment is
Available in about 25 ms, the kubelet's 10 s crash back-off takes 0.5 s and a
progressDeadlineSeconds of 10 passes in 0.5 s.
"""

from __future__ import annotations

import itertools
import time
import uuid
from typing import Any, Callable, Iterator

import pytest

from deploykit.sim import embedded
from tests.plugins.sim import Http, create_namespace

CLUSTER_SPEED = 20.0
_counter = itertools.count()


@pytest.fixture(scope="session")
def sim_cluster() -> Iterator[embedded.Handle]:
    handle = embedded.start(speed=CLUSTER_SPEED)
    yield handle
    handle.stop()


@pytest.fixture
def sim_cluster_namespace(sim_cluster: embedded.Handle) -> str:
    name = f"c{next(_counter)}-{uuid.uuid4().hex[:8]}"
    create_namespace(sim_cluster.url, name)
    return name


@pytest.fixture
def sim_cluster_http(sim_cluster: embedded.Handle) -> Http:
    return Http(sim_cluster.url)


@pytest.fixture
def sim_cluster_factory(sim_factory: Callable[..., embedded.Handle]) -> Callable[..., embedded.Handle]:
    def start(**options: Any) -> embedded.Handle:
        return sim_factory(**{"controllers": True, "speed": CLUSTER_SPEED, **options})

    return start


def _wait_until(predicate: Callable[[], Any], timeout: float = 5.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(0.01)
    raise AssertionError(f"{what} not met within {timeout} s (last value: {last!r})")


@pytest.fixture
def wait_until() -> Callable[..., Any]:
    return _wait_until


@pytest.fixture(scope="session")
def cluster_client(sim_cluster: embedded.Handle) -> Any:
    """The official kubernetes ApiClient for sim_cluster, from its kubeconfig alone."""
    from kubernetes import config

    return config.new_client_from_config(config_file=str(sim_cluster.kubeconfig))


@pytest.fixture
def cluster_core(cluster_client: Any) -> Any:
    from kubernetes import client

    return client.CoreV1Api(cluster_client)


@pytest.fixture
def cluster_apps(cluster_client: Any) -> Any:
    from kubernetes import client

    return client.AppsV1Api(cluster_client)


@pytest.fixture
def cluster_batch(cluster_client: Any) -> Any:
    from kubernetes import client

    return client.BatchV1Api(cluster_client)

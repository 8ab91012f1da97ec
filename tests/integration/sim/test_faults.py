"""Injected faults: latency, error answers with real Status bodies, watches closed early."""

from __future__ import annotations

import time
import urllib.request

from deploykit.sim import faults
from tests.plugins.sim import Http


def test_latency_is_added_to_resource_requests_only(sim_factory):
    """With latency set, resource requests are slower while /version stays fast."""
    # the latency is large enough that a loaded CI machine cannot blur the two cases
    handle = sim_factory(faults=faults.Faults(latency=1.5))
    http = Http(handle.url)
    start = time.monotonic()
    assert http("GET", "/api/v1/namespaces/default/configmaps")[0] == 200
    assert time.monotonic() - start >= 1.5
    start = time.monotonic()
    assert http("GET", "/version")[0] == 200
    assert time.monotonic() - start < 1.5


def test_rate_limited_answers_carry_retry_after(sim_factory):
    """An injected 429 is a TooManyRequests Status with a Retry-After header, and nothing is written."""
    handle = sim_factory(faults=faults.Faults(error_rate=1.0, error_codes=(429,), retry_after=2))
    http = Http(handle.url)
    code, body, headers = http("POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "x"}})
    assert code == 429 and body["reason"] == "TooManyRequests" and headers["Retry-After"] == "2"
    assert body["details"] == {"retryAfterSeconds": 2}


def test_server_errors_have_status_bodies(sim_factory):
    """Injected 500 and 503 answers are InternalError / ServiceUnavailable Status bodies."""
    handle = sim_factory(faults=faults.Faults(error_rate=1.0, error_codes=(500, 503), seed=1))
    http = Http(handle.url)
    seen = {http("GET", "/api/v1/namespaces")[1]["reason"] for _ in range(20)}
    assert seen == {"InternalError", "ServiceUnavailable"}


def test_partial_error_rate_lets_most_requests_through(sim_factory):
    """With a 30% error rate some requests fail and the rest succeed."""
    handle = sim_factory(faults=faults.Faults(error_rate=0.3, seed=7))
    http = Http(handle.url)
    codes = [http("GET", "/api/v1/namespaces")[0] for _ in range(60)]
    assert 5 <= sum(c != 200 for c in codes) <= 35 and codes.count(200) >= 25


def test_watches_are_closed_after_the_configured_time(sim_factory):
    """With watch_close_after set, a watch without timeoutSeconds ends after that time."""
    handle = sim_factory(faults=faults.Faults(watch_close_after=0.5))
    start = time.monotonic()
    with urllib.request.urlopen(f"{handle.url}/api/v1/namespaces?watch=1", timeout=10) as response:
        lines = response.read().splitlines()
    assert 0.4 <= time.monotonic() - start < 5
    assert len(lines) == 4  # the four namespaces every cluster starts with, as ADDED events


def test_invalid_fault_options_are_refused():
    """Fault options out of range are refused with a message naming the value."""
    for bad in (dict(error_rate=1.5), dict(error_codes=(404,)), dict(latency=-1)):
        try:
            faults.Faults(**bad)
        except ValueError as exc:
            assert str(exc)
        else:
            raise AssertionError(f"{bad} accepted")

"""Watch streams over raw HTTP: selectors, bookmarks, initial events, timeouts."""

from __future__ import annotations

import json
import threading
import time
import urllib.request

from deploykit.sim import watching
from tests.plugins.sim import Http


def stream(url: str) -> list[dict]:
    with urllib.request.urlopen(url, timeout=15) as response:
        return [json.loads(line) for line in response.read().splitlines()]


def later(delay: float, action) -> threading.Thread:
    thread = threading.Timer(delay, action)
    thread.start()
    return thread


def test_object_leaving_the_selector_is_deleted_for_the_watcher(sim, sim_http, sim_namespace):
    """When a label change takes an object out of a watch's selector, the watcher sees DELETED."""
    path = f"/api/v1/namespaces/{sim_namespace}/configmaps"
    sim_http("POST", path, {"metadata": {"name": "sel", "labels": {"tier": "web"}}})
    thread = later(0.3, lambda: sim_http("PATCH", f"{path}/sel", {"metadata": {"labels": {"tier": "db"}}},
                                         content_type="application/merge-patch+json"))
    events = stream(f"{sim.url}{path}?watch=1&labelSelector=tier%3Dweb&timeoutSeconds=1")
    thread.join()
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "sel"), ("DELETED", "sel")]


def test_timeout_seconds_ends_the_stream(sim, sim_namespace):
    """timeoutSeconds closes the watch when it expires."""
    started = time.monotonic()
    assert stream(f"{sim.url}/api/v1/namespaces/{sim_namespace}/secrets?watch=1&timeoutSeconds=1") == []
    assert 0.9 <= time.monotonic() - started < 5


def test_bookmarks_carry_the_current_resource_version(sim_factory):
    """With allowWatchBookmarks, BOOKMARK events carry only kind, apiVersion and a resourceVersion."""
    handle = sim_factory(watch=watching.Options(bookmark_interval=0.2))
    rv = Http(handle.url)("GET", "/api/v1/namespaces/default/configmaps")[1]["metadata"]["resourceVersion"]
    events = stream(f"{handle.url}/api/v1/namespaces/default/configmaps?watch=1&resourceVersion={rv}"
                    "&allowWatchBookmarks=true&timeoutSeconds=1")
    bookmarks = [e for e in events if e["type"] == "BOOKMARK"]
    assert bookmarks and bookmarks[0]["object"] == {"kind": "ConfigMap", "apiVersion": "v1",
                                                    "metadata": {"resourceVersion": rv}}


def test_send_initial_events_ends_with_a_marked_bookmark(sim, sim_http, sim_namespace):
    """sendInitialEvents=true streams the current objects, then a bookmark annotated initial-events-end."""
    path = f"/api/v1/namespaces/{sim_namespace}/configmaps"
    sim_http("POST", path, {"metadata": {"name": "one"}})
    events = stream(f"{sim.url}{path}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan"
                    "&allowWatchBookmarks=true&timeoutSeconds=1")
    assert [e["type"] for e in events] == ["ADDED", "BOOKMARK"]
    assert events[1]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


def test_table_watch_sends_columns_once(sim, sim_http, sim_namespace):
    """A Table watch (kubectl get -w) sends column definitions with the first row only."""
    path = f"/api/v1/namespaces/{sim_namespace}/configmaps"
    sim_http("POST", path, {"metadata": {"name": "a"}})
    sim_http("POST", path, {"metadata": {"name": "b"}})
    request = urllib.request.Request(f"{sim.url}{path}?watch=1&timeoutSeconds=1",
                                     headers={"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"})
    with urllib.request.urlopen(request, timeout=15) as response:
        events = [json.loads(line) for line in response.read().splitlines()]
    assert [e["object"]["kind"] for e in events] == ["Table", "Table"]
    assert events[0]["object"]["columnDefinitions"][0]["name"] == "Name"
    assert events[1]["object"]["columnDefinitions"] is None
    assert events[1]["object"]["rows"][0]["cells"][0] == "b"

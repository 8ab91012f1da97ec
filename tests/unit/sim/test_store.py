"""The store: one resourceVersion counter, history for watches, 410 past the history, indexes."""

from __future__ import annotations

import pytest

from deploykit.sim import store as store_mod

CM = ("", "configmaps")
SECRETS = ("", "secrets")


def obj(name: str, namespace: str = "ns", **meta) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace, **meta}}


def test_every_write_takes_the_next_resource_version_across_collections():
    """resourceVersions come from one counter, as clients comparing them across kinds assume."""
    store = store_mod.Store()
    a = store.put(CM, obj("a"))
    b = store.put(SECRETS, obj("b"))
    gone = store.remove(CM, "ns", "a")
    assert [a["metadata"]["resourceVersion"], b["metadata"]["resourceVersion"],
            gone["metadata"]["resourceVersion"]] == ["1", "2", "3"]
    assert store.resource_version == 3


def test_list_orders_by_namespace_then_name():
    """Lists come back in the real server's key order."""
    store = store_mod.Store()
    for ns, name in [("b", "x"), ("a", "z"), ("a", "y")]:
        store.put(CM, obj(name, ns))
    assert [(o["metadata"]["namespace"], o["metadata"]["name"]) for o in store.list(CM)] == [
        ("a", "y"), ("a", "z"), ("b", "x")]
    assert [o["metadata"]["name"] for o in store.list(CM, "a")] == ["y", "z"]


def test_events_since_replays_only_later_changes():
    """A watch resuming from a resourceVersion sees exactly the changes after it."""
    store = store_mod.Store()
    store.put(CM, obj("a"))
    store.put(CM, obj("b"))
    store.put(CM, obj("a"))
    events = store.events_since(CM, 1)
    assert [(e.type, e.obj["metadata"]["name"], e.rv) for e in events] == [("ADDED", "b", 2), ("MODIFIED", "a", 3)]
    assert events[1].old["metadata"]["resourceVersion"] == "1"


def test_version_older_than_history_is_expired():
    """Once history is trimmed, resuming from before it raises Expired (the 410 Gone of watches)."""
    store = store_mod.Store(history=2)
    for i in range(4):
        store.put(CM, obj(f"o{i}"))
    with pytest.raises(store_mod.Expired) as caught:
        store.events_since(CM, 1)
    assert "too old resource version: 1" in str(caught.value)
    assert [e.rv for e in store.events_since(CM, 3)] == [4]


def test_subscribers_hear_changes_of_their_collection():
    """Subscribers get every change of their collection (or of all), and stop after unsubscribing."""
    store = store_mod.Store()
    heard, everything = [], []
    stop = store.subscribe(heard.append, CM)
    store.subscribe(everything.append)
    store.put(CM, obj("a"))
    store.put(SECRETS, obj("s"))
    stop()
    store.put(CM, obj("b"))
    assert [e.obj["metadata"]["name"] for e in heard] == ["a"]
    assert [e.obj["metadata"]["name"] for e in everything] == ["a", "s", "b"]


def test_owner_index_follows_owner_references():
    """dependents() finds objects by owner uid and forgets them when they go."""
    store = store_mod.Store()
    store.put(CM, obj("child", ownerReferences=[{"uid": "u1", "kind": "X", "name": "p", "apiVersion": "v1"}]))
    assert store.dependents("u1") == [(CM, "ns", "child")]
    store.remove(CM, "ns", "child")
    assert store.dependents("u1") == []


def test_snapshot_restores_objects_and_counter():
    """A restored store has the same objects and continues the resourceVersion counter."""
    store = store_mod.Store()
    store.put(CM, obj("a", uid="u"))
    restored = store_mod.Store()
    restored.restore(store.snapshot())
    assert restored.get(CM, "ns", "a")["metadata"]["uid"] == "u"
    assert restored.by_uid("u") == (CM, "ns", "a")
    assert restored.put(CM, obj("b"))["metadata"]["resourceVersion"] == "2"


def test_encoded_json_is_reused_until_the_object_changes():
    """The cached encoding of an object is dropped when a new version is stored."""
    store = store_mod.Store()
    first = store.put(CM, obj("a"))
    assert store.encoded(CM, first) == store_mod.encode(first)
    second = store.put(CM, dict(obj("a"), data={"k": "v"}))
    assert b'"data":{"k":"v"}' in store.encoded(CM, second)

"""The whole state of an embedded simulator, to prove a command left a cluster exactly as it found it.

`snapshot(handle)` is every object in the store (the simulator's own
persistence snapshot, read on its loop thread), keyed by
(group, plural, namespace, name). `changes(before, after)` lists what was
added, removed or changed, for an assertion message a person can read.

Nothing is ignored: the simulator used for these proofs runs without
controllers, so no kubelet heartbeat (node Leases), no status update and no
Event changes the store by itself; every difference is the command's doing.
Only the store's global resourceVersion counter is left out: a run that takes
the release lock (a Lease) and releases it advances the counter but leaves no
object behind, and that is what "unchanged" means to a user. An object that
was written and written back would still show, through its own
resourceVersion.
"""

from __future__ import annotations

from typing import Any

ObjectKey = tuple[str, str, str, str]


def snapshot(handle: Any) -> dict[ObjectKey, dict[str, Any]]:
    """Every object of the simulator behind `handle` (deploykit.sim.embedded.Handle)."""
    state = handle.call(handle.server.api.store.snapshot)
    return {
        (collection["group"], collection["plural"], obj["metadata"].get("namespace", ""), obj["metadata"]["name"]): obj
        for collection in state["collections"]
        for obj in collection["objects"]
    }


def changes(before: dict[ObjectKey, dict[str, Any]], after: dict[ObjectKey, dict[str, Any]]) -> list[str]:
    """What differs, one line per object: `added leases/ns/name`, `removed ...`, `changed ...`."""
    def shown(key: ObjectKey) -> str:
        group, plural, namespace, name = key
        return "/".join(part for part in (f"{plural}.{group}" if group else plural, namespace, name) if part)

    found = [f"added {shown(key)}" for key in sorted(after.keys() - before.keys())]
    found += [f"removed {shown(key)}" for key in sorted(before.keys() - after.keys())]
    found += [f"changed {shown(key)}" for key in sorted(before.keys() & after.keys()) if before[key] != after[key]]
    return found

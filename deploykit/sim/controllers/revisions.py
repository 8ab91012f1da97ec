"""ControllerRevisions: the template history of StatefulSets and DaemonSets.

Owns what `pkg/controller/history` does for those two controllers: the
revision data (`{"spec": {"template": {..., "$patch": "replace"}}}`), its hash
(FNV-32a in the safe alphabet, the `controller.kubernetes.io/hash` label), the
revision named `<owner>-<hash>` with a controller ownerReference, finding the
revision of the current template (re-numbering an old one that matches again,
as `rollout undo` relies on), and trimming history beyond
revisionHistoryLimit. Writes through the internal API as
kube-controller-manager.
"""

from __future__ import annotations

from typing import Any

from deploykit.sim import statuses
from deploykit.sim.controllers import objects, templates

Obj = dict[str, Any]
HASH_LABEL = "controller.kubernetes.io/hash"
MANAGER = "kube-controller-manager"


def data_of(owner: Obj) -> Obj:
    template = dict((owner.get("spec") or {}).get("template") or {})
    template["$patch"] = "replace"
    return {"spec": {"template": template}}


def revision_number(revision: Obj) -> int:
    return int(revision.get("revision") or 0)


class History:
    def __init__(self, api: Any) -> None:
        self.api = api
        self.rt = api.registry.lookup("apps", "v1", "controllerrevisions")

    def of(self, owner: Obj) -> list[Obj]:
        return sorted(objects.dependents(self.api.store, owner, self.rt.key), key=revision_number)

    def current(self, owner: Obj) -> Obj:
        """The revision of the owner's template, created or re-numbered as needed."""
        history = self.of(owner)
        data = data_of(owner)
        latest = max((revision_number(r) for r in history), default=0)
        collisions = (owner.get("status") or {}).get("collisionCount")
        equal = [r for r in history if r.get("data") == data]
        if equal:
            revision = equal[-1]
            if revision_number(revision) < latest:
                meta = revision["metadata"]
                revision = self.api.update(self.rt, meta["namespace"], meta["name"], dict(revision, revision=latest + 1),
                                           manager=MANAGER).obj
            return revision
        digest = templates.compute_hash(data, collisions)
        labels = dict(((owner.get("spec") or {}).get("template") or {}).get("metadata", {}).get("labels") or {})
        labels[HASH_LABEL] = digest
        body = {"apiVersion": "apps/v1", "kind": "ControllerRevision",
                "metadata": {"name": f"{owner['metadata']['name']}-{digest}", "namespace": owner["metadata"]["namespace"],
                             "labels": labels, "ownerReferences": [objects.controller_ref(owner)]},
                "data": data, "revision": latest + 1}
        try:
            return self.api.create(self.rt, owner["metadata"]["namespace"], body, manager=MANAGER).obj
        except statuses.ApiError as exc:
            found = self.api.store.get(self.rt.key, owner["metadata"]["namespace"], body["metadata"]["name"])
            if exc.code == 409 and found is not None and found.get("data") == data:
                return found
            raise

    def trim(self, owner: Obj, *, keep: set[str]) -> None:
        """Delete the oldest revisions beyond revisionHistoryLimit that no pod or status uses."""
        limit = (owner.get("spec") or {}).get("revisionHistoryLimit", 10)
        history = [r for r in self.of(owner) if r["metadata"]["name"] not in keep]
        for revision in history[: max(0, len(history) - int(limit))]:
            try:
                self.api.delete(self.rt, revision["metadata"]["namespace"], revision["metadata"]["name"])
            except statuses.ApiError:
                continue


__all__ = ["HASH_LABEL", "History", "data_of", "revision_number"]

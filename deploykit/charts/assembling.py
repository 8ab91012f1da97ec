"""From rendered text to the typed result: objects, hooks and CRDs in apply order.

Owns: parsing every rendered file and every file of crds/ into manifests,
setting hooks apart (sorted by weight, then apply order, then name), filling
the release namespace into namespaced objects that have none (built-in
cluster-scoped kinds and kinds the chart's CRDs declare `Cluster` are left
alone), the structural checks and the duplicate check, and sorting objects
into the apply order of DESIGN.md, stable within a group (template name,
then document order).

Must not: render templates or raise: every problem goes to `report`.
"""

from __future__ import annotations

from typing import Collection, Iterable

from deploykit.charts import checking, kinds, problems
from deploykit.charts.manifests import Hook, Manifest, Rendered, hook_of, parse_documents


def _fill_namespace(manifest: Manifest, namespace: str, cluster_custom: set[tuple[str, str]]) -> None:
    metadata = manifest.obj.get("metadata")
    if not isinstance(metadata, dict) or metadata.get("namespace"):
        return
    kind = manifest.kind
    if not kind:
        return
    group_kind = (manifest.group, kind)  # one reading of each property: this runs for every object
    if group_kind in kinds.CLUSTER_SCOPED or group_kind in cluster_custom:
        return
    # Rebuilt so that namespace follows name, where people look for it.
    filled = {"name": metadata["name"], "namespace": namespace} if "name" in metadata else {"namespace": namespace}
    filled.update(metadata)
    manifest.obj["metadata"] = filled


def assemble(
    outputs: Iterable[tuple[str, str]],
    *,
    crd_files: Iterable[tuple[str, str]] = (),
    notes: str | None = None,
    namespace: str,
    secrets: Collection[str] = (),
    report: list[problems.Problem],
) -> Rendered:
    """Build the result from (template name, rendered text) pairs; problems go to `report`."""
    crds: list[Manifest] = []
    for name, text in crd_files:
        crds.extend(parse_documents(text, template=name, secrets=secrets, report=report))
    objects: list[Manifest] = []
    for name, text in outputs:
        objects.extend(parse_documents(text, template=name, secrets=secrets, report=report))
    cluster_custom = checking.custom_kinds([*crds, *objects], scope="Cluster")
    plain: list[Manifest] = []
    hooks: list[Hook] = []
    for manifest in objects:
        _fill_namespace(manifest, namespace, cluster_custom)
        report.extend(checking.structure(manifest, secrets=secrets))
        hook = hook_of(manifest, report=report)
        if hook is None:
            plain.append(manifest)
        else:
            hooks.append(hook)
    for manifest in crds:
        report.extend(checking.structure(manifest, secrets=secrets))
    report.extend(checking.duplicates([*crds, *plain, *(hook.manifest for hook in hooks)], secrets=secrets))
    plain.sort(key=lambda m: kinds.apply_rank(m.api_version, m.kind))
    hooks.sort(key=lambda h: (h.weight, kinds.apply_rank(h.manifest.api_version, h.manifest.kind), h.manifest.kind, h.manifest.name))
    return Rendered(manifests=tuple(plain), hooks=tuple(hooks), crds=tuple(crds), notes=notes)

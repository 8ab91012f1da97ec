"""A revision ready to deploy: rendered, ownership-stamped, fingerprinted; from inputs or from a record.

Owns `Revision` (the objects and hooks to apply, with secrets in them, and
the secret-free parts a record keeps: fingerprinted manifest and values,
inputs digest, chart files, values files, sealed fingerprint key),
`prepare` (from the user's render options) and `reproduce` (from a stored
record: chart files and values written to a private temporary folder, sops
ciphertext decrypted in memory with the keys at hand, the result checked
against the record's fingerprints before anything is applied).

Must not: talk to the cluster or write anything but ciphertext and
non-secret files to disk.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from pathlib import Path
from collections.abc import Mapping
from typing import Any

from deploykit import errors
from deploykit.charts import clusters, engines, packing
from deploykit.charts.manifests import Hook
from deploykit.release import chartfiles, fingerprinting, ownership, records
from deploykit.release.inputs import RenderOptions
from deploykit.release.planning import Desired
from deploykit.release.rendering import RenderResult, render
from deploykit.secrets import decrypting


@dataclasses.dataclass(eq=False)
class Revision:
    """One revision's objects (with secret values: never print) and its record-safe description."""

    options: RenderOptions
    result: RenderResult = dataclasses.field(repr=False)
    desired: list[Desired] = dataclasses.field(repr=False)
    hooks: list[tuple[Hook, dict[str, Any]]] = dataclasses.field(repr=False)
    key: bytes = dataclasses.field(repr=False)
    sealed_key: str | None
    manifest: str  # fingerprinted: safe to store
    safe_notes: str  # NOTES.txt, fingerprinted
    values: dict  # fingerprinted
    inputs_digest: str
    chart_files: Mapping[str, bytes] = dataclasses.field(repr=False)
    chart_path: str
    values_files: tuple[records.ValuesFile, ...]
    secret_files: tuple[records.SecretFile, ...]
    set_inputs: tuple[records.SetInput, ...]
    adopted_from: records.AdoptedFrom | None = None  # reproduced from its stored manifest, never re-rendered
    # The CRDs of the charts' crds/ folders, as they are (not the release's: sharedcrds.py); not in `desired`.
    crds: list[Desired] = dataclasses.field(default_factory=list, repr=False)

    @property
    def notes(self) -> str | None:
        return self.result.rendered.notes

    @property
    def by_key(self) -> dict[tuple, Desired]:
        return {item.key: item for item in self.desired}

    @property
    def crds_by_key(self) -> dict[tuple, Desired]:
        return {item.key: item for item in self.crds}

    def new_kinds(self, *, include_crds: bool = True) -> frozenset[tuple[str, str]]:
        """(group, kind) of every CRD the revision applies: those of crds/ (unless skipped) and of templates/."""
        found = set()
        shipped = self.result.rendered.crds if include_crds else ()
        for crd in shipped + tuple(m for m in self.result.rendered.manifests if m.kind == "CustomResourceDefinition"):
            spec = crd.obj.get("spec") or {}
            names = spec.get("names") or {}
            if isinstance(names, dict) and names.get("kind"):
                found.add((str(spec.get("group", "")), str(names["kind"])))
        return frozenset(found)

    def namespaces(self) -> frozenset[str]:
        return frozenset(m.name for m in self.result.rendered.manifests if m.kind == "Namespace" and m.api_version == "v1")


def decrypt(options: RenderOptions) -> list[decrypting.DecryptedFile]:
    """The sops files among the -f files, decrypted in memory (in parallel, once per run: later calls are cached)."""
    secret_paths = [Path(p) for p in options.values_files if decrypting.needs_decryption(Path(p))]
    if not secret_paths:
        return []
    return decrypting.decrypt_files(secret_paths, allow_unencrypted=options.allow_unencrypted_secrets)


def prepare(options: RenderOptions, *, sealed_key: str | None, source: str) -> Revision:
    """Render the user's inputs and make the record-safe forms."""
    result = render(options)
    secret_paths = [p for p in options.values_files if decrypting.needs_decryption(Path(p))]
    decrypted = decrypt(options)
    key, sealed = fingerprinting.release_key(sealed=sealed_key, secret_files=decrypted, source=source)
    values_files = tuple(
        records.ValuesFile(path=p, text=None if p in secret_paths else _read_text(p), secret=p in secret_paths)
        for p in options.values_files
    )
    secret_files = tuple(records.SecretFile(path=str(f.path), ciphertext=f.ciphertext.decode("utf-8")) for f in decrypted)
    files = chartfiles.packed(packing.source_files(options.chart, result.chart))  # packed once for every record
    chart_path = packing.ARCHIVE_NAME if os.path.isfile(options.chart) else "."
    return _assemble(options, result, key=key, sealed=sealed, chart_files=files, chart_path=chart_path,
                     values_files=values_files, secret_files=secret_files, set_inputs=_set_inputs(options, key))


def _set_inputs(options: RenderOptions, key: bytes) -> tuple[records.SetInput, ...]:
    """The --set* inputs in the order they apply; --set-file with the file's text, a secret one as a fingerprint."""
    from deploykit.secrets import fingerprints, redaction

    found = []
    for flag, expressions in (("set-json", options.set_json), ("set", options.set_values),
                              ("set-string", options.set_strings), ("set-file", options.set_files),
                              ("set-literal", options.set_literals)):
        for expression in expressions:
            name, _, value = expression.partition("=")
            if flag == "set-file":
                value = _read_text(value)
            if redaction.current().contains_secret(value):
                found.append(records.SetInput(flag, name, fingerprints.fingerprint(value, key=key), secret=True))
            else:
                found.append(records.SetInput(flag, name, value))
    return tuple(found)


def _read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise errors.UsageError(f"{path}: cannot read values file: {exc}") from exc


def _assemble(
    options: RenderOptions, result: RenderResult, *, key: bytes, sealed: str | None, chart_files: Mapping[str, bytes],
    chart_path: str, values_files: tuple, secret_files: tuple, set_inputs: tuple,
) -> Revision:
    fingerprinter = fingerprinting.Fingerprinter(key, fingerprinting.secret_leaf_texts(result.values)
                                                 | fingerprinting.read_secret_texts(result.rendered.read_secrets))
    release, namespace = options.release, options.namespace
    rendered = result.rendered
    # crds/ CRDs are applied as they are: no release owns them (sharedcrds.py); the record lists them first.
    crds = [Desired(dict(m.obj), m.template, recorded=dict(m.obj)) for m in rendered.crds]
    objects = [ownership.stamped(m.obj, release=release, namespace=namespace) for m in rendered.manifests]
    hooks = [(hook, ownership.stamped(hook.manifest.obj, release=release, namespace=namespace)) for hook in rendered.hooks]
    recorded = [*(c.obj for c in crds), *fingerprinter.tree(objects + [obj for _, obj in hooks])]
    desired = [Desired(obj, m.template, recorded=safe)
               for obj, m, safe in zip(objects, rendered.manifests, recorded[len(crds):])]
    # JSON, not YAML: a thousand objects dump and load in milliseconds; `get manifest` prints YAML.
    manifest = json.dumps(recorded, separators=(",", ":"), ensure_ascii=False, default=str)
    digest = fingerprinting.inputs_digest(
        key=key, chart_digest=result.chart.digest, values=result.values.data,
        extra=[options.release, options.namespace, options.kube_version, list(options.api_versions)],
    )
    # A plain values file holding a secret's value (copied by hand) is kept fingerprinted: it is never stored in clear.
    values_files = tuple(dataclasses.replace(f, text=fingerprinter.text(f.text)) if f.text else f for f in values_files)
    return Revision(
        options=options, result=result, desired=desired, hooks=hooks, key=key, sealed_key=sealed, manifest=manifest,
        safe_notes=fingerprinter.text(rendered.notes or ""),
        values=fingerprinter.values(result.values), inputs_digest=digest, chart_files=chart_files,
        chart_path=chart_path, values_files=values_files, secret_files=secret_files, set_inputs=set_inputs,
        crds=crds,
    )


def _legacy_manifest(revision: Revision) -> str:
    """The manifest as deploykit wrote it before crds/ CRDs were shared: each stamped with the release's ownership."""
    documents = json.loads(revision.manifest)
    release, namespace = revision.options.release, revision.options.namespace
    documents[:len(revision.crds)] = [ownership.stamped(c.obj, release=release, namespace=namespace) for c in revision.crds]
    return json.dumps(documents, separators=(",", ":"), ensure_ascii=False, default=str)


def manifest_documents(record: records.Record) -> list[dict[str, Any]]:
    """Every object and hook a record's revision rendered, as stored (secret-derived strings fingerprinted)."""
    if not record.manifest:
        return []
    try:
        documents = json.loads(record.manifest)
    except ValueError:
        raise errors.RecordError(f"{record.label}: its manifest is not the JSON deploykit writes",
                                 hint="the record was changed outside deploykit") from None
    return [doc for doc in documents if isinstance(doc, dict)]


def applied_objects(record: records.Record) -> list[dict[str, Any]]:
    """The objects a record's revision applied, as stored (secret-derived strings fingerprinted)."""
    hooks_or_objects = manifest_documents(record)
    kept = {(o.api_version, o.kind, o.namespace, o.name) for o in record.objects}
    return [doc for doc in hooks_or_objects
            if (doc.get("apiVersion"), doc.get("kind"), (doc.get("metadata") or {}).get("namespace"),
                (doc.get("metadata") or {}).get("name")) in kept]


def _set_flags(record: records.Record, root: Path) -> dict[str, tuple[str, ...]]:
    """RenderOptions fields for a record's --set* inputs (--set-file texts written under `root`)."""
    fields: dict[str, list[str]] = {"set_json": [], "set_values": [], "set_strings": [], "set_files": [],
                                    "set_literals": []}
    names = {"set-json": "set_json", "set": "set_values", "set-string": "set_strings", "set-file": "set_files",
             "set-literal": "set_literals"}
    for index, item in enumerate(record.set_inputs):
        if item.secret:
            raise errors.RecordError(
                f"{record.label} was deployed with a secret --{item.flag} {item.key}=...; the record keeps only its "
                "fingerprint, so the revision cannot be re-rendered from it; nothing was applied",
                hint="keep secrets in sops-encrypted values files, or deploy the wanted state with `deploykit upgrade`",
            )
        value = item.value
        if item.flag == "set-file":
            path = root / "set-files" / f"{index:03d}"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(item.value, encoding="utf-8")
            value = str(path)
        fields[names[item.flag]].append(f"{item.key}={value}")
    return {field: tuple(values) for field, values in fields.items()}


def reproduce(record: records.Record, *, folder: Path | None = None, cluster: clusters.Cluster | None = None) -> Revision:
    """Render a stored revision again from its record, with the engine that rendered it (`lookup` reading
    `cluster`); refuse if it does not match the stored fingerprints.

    An adopted revision (its chart is Helm's) is not rendered: its stored manifest is what it applies.
    """
    if record.adopted_from is not None:
        return _from_manifest(record)
    if not record.chart_files:
        raise errors.RecordError(f"{record.label}: the record holds no chart files, it cannot be re-rendered",
                                 hint="deploy the revision again from its chart with `deploykit upgrade`")
    with tempfile.TemporaryDirectory(prefix="deploykit-revision-") as scratch:
        root = Path(folder or scratch)
        chart = packing.write_files(dict(record.chart_files), root / "chart")
        paths = []
        ciphertexts = {f.path: f.ciphertext for f in record.secret_files}
        for index, values_file in enumerate(record.values_files):
            target = root / "values" / f"{index:03d}-{Path(values_file.path).name}"
            target.parent.mkdir(parents=True, exist_ok=True)
            text = ciphertexts.get(values_file.path) if values_file.secret else values_file.text
            if text is None:
                raise errors.RecordError(f"{record.label}: values file {values_file.path} is missing from the record")
            target.write_text(text, encoding="utf-8")
            paths.append(str(target))
        options = RenderOptions(
            chart=str(chart), values_files=tuple(paths), release=record.name, namespace=record.namespace,
            revision=record.revision, is_upgrade=record.revision > 1,
            kube_version=record.kube_version or RenderOptions.kube_version, **_set_flags(record, root),
            template_engine=record.template_engine or engines.JINJA2, cluster=cluster,
            # the cluster took these objects once: newer checks must not stop going back to them
            skip_schema_validation=True,
        )
        result = render(options)
        decrypted = decrypting.decrypt_files([Path(p) for p, f in zip(paths, record.values_files) if f.secret])
    key, sealed = fingerprinting.release_key(sealed=record.sealed_key, secret_files=decrypted, source=record.label)
    revision = _assemble(options, result, key=key, sealed=sealed, chart_files=chartfiles.packed(record.chart_files),
                         chart_path=record.chart_path, values_files=record.values_files,
                         secret_files=record.secret_files, set_inputs=record.set_inputs)
    if revision.manifest != record.manifest and not (revision.crds and _legacy_manifest(revision) == record.manifest):
        raise errors.RecordError(
            f"{record.label}: re-rendering the stored revision does not give the objects it applied "
            "(a secret or a chart file differs from what was deployed); nothing was applied",
            hint="check that the keys at hand decrypt the same secrets, or deploy the wanted state with `deploykit upgrade`",
        )
    return revision


def _from_manifest(record: records.Record) -> Revision:
    """An adopted revision as its record keeps it: the objects of its stored manifest, applied as they are."""
    from deploykit.charts.chart import Chart
    from deploykit.charts.manifests import Manifest, Rendered
    from deploykit.charts.metadata import ChartMetadata
    from deploykit.values import provenance

    template = f"{record.adopted_from} (stored manifest)"
    manifests = tuple(Manifest(obj=obj, template=template) for obj in applied_objects(record))
    chart = Chart(metadata=ChartMetadata(api_version="v2", name=record.chart.name, version=record.chart.version,
                                         app_version=record.chart.app_version or None),
                  origin=template, templates={}, files={}, crds={}, values={}, schema=None, subcharts=(),
                  digest=record.chart.digest)
    result = RenderResult(chart=chart, values=provenance.Values(), tree=None,  # type: ignore[arg-type]
                          rendered=Rendered(manifests=manifests, notes=record.notes or None))
    options = RenderOptions(chart=template, release=record.name, namespace=record.namespace, revision=record.revision,
                            is_upgrade=True, kube_version=record.kube_version or RenderOptions.kube_version)
    return Revision(
        options=options, result=result, desired=[Desired(m.obj, template, recorded=m.obj) for m in manifests],
        hooks=[], key=fingerprinting.PUBLIC_KEY, sealed_key=None, manifest=record.manifest, safe_notes=record.notes,
        values=dict(record.values), inputs_digest=record.inputs_digest, chart_files=chartfiles.packed(record.chart_files),
        chart_path=record.chart_path, values_files=(), secret_files=(), set_inputs=(),
        adopted_from=record.adopted_from,
    )

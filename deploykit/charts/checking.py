"""Checks on rendered objects, each problem naming the template, the line and the field path.

Owns what makes an object unusable before it reaches a cluster: missing
apiVersion/kind/metadata.name, names and namespaces the API server would
refuse for that kind, label and annotation values that are not strings (or
labels that are not valid, on the object and its pod template), duplicates (same group, kind, namespace and name,
naming both templates), and for lint and render, apiVersions the target no
longer serves (an error naming the replacement, removedapis), kinds it
does not serve (a warning), fields its strict schema rejects or, for a
custom resource, the chart's own CRD rejects (customresources), values its
API server refuses beyond the schema (apivalues), and plain scalars Helm and
kubectl type in a way the author may not mean (a warning: `value: on` is a
boolean).

Must not: raise (problems are returned; the caller decides), or print.
"""

from __future__ import annotations

import functools
import re
import string
from typing import Collection, Iterable

from deploykit.charts import apivalues, customresources, kinds, kubeapis, problems, removedapis, yamlcodec
from deploykit.charts.manifests import Manifest

# Left to re to compile (and cache) for a label the plain test (_plain_label) does not accept: compiling them costs
# more than checking every label of a chart.
_LABEL_VALUE = r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$"
_LABEL_NAME = r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$"
_ALNUM = string.ascii_letters + string.digits


def _plain_label(text: str) -> bool:
    """A label name or value as most are: letters and digits, with '-', '_' and '.' inside (False: ask the regex)."""
    return kinds.plainly(text, _ALNUM, "-_.")


def _at(manifest: Manifest, path: tuple, message: str, *, level: str = problems.ERROR, hint: str | None = None, secrets: Collection[str] = ()) -> problems.Problem:
    subject = f"{manifest.ident}: " if manifest.kind and manifest.name else ""
    return problems.Problem(level, manifest.location, manifest.line_of(path), problems.mask(f"{subject}{problems.field_path(path)}: {message}", secrets), hint)


def structure(manifest: Manifest, *, secrets: Collection[str] = ()) -> list[problems.Problem]:
    """What the API server would refuse outright: identity fields, names, labels, annotations."""
    found: list[problems.Problem] = []
    obj = manifest.obj
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    for field, value in (("apiVersion", api_version), ("kind", kind)):
        if not value or not isinstance(value, str):
            found.append(_at(manifest, (field,), "is missing" if not value else "must be a string", hint="every object needs apiVersion, kind and metadata.name", secrets=secrets))
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict):
        found.append(_at(manifest, ("metadata",), "is missing" if metadata is None else "must be a mapping", hint="every object needs apiVersion, kind and metadata.name", secrets=secrets))
        return found
    name = metadata.get("name")
    if name is None or name == "":
        hint = "generateName is not supported: server-side apply needs a fixed name" if metadata.get("generateName") else None
        found.append(_at(manifest, ("metadata", "name"), "is missing", hint=hint, secrets=secrets))
    elif not isinstance(name, str):
        found.append(_at(manifest, ("metadata", "name"), f"must be a string, not {type(name).__name__}", secrets=secrets))
    elif isinstance(kind, str) and isinstance(api_version, str):
        reason = kinds.name_problem(api_version, kind, name)
        if reason:
            found.append(_at(manifest, ("metadata", "name"), f"{repr(name)} {reason}", secrets=secrets))
    namespace = metadata.get("namespace")
    if namespace is not None:
        reason = kinds.namespace_problem(str(namespace)) if isinstance(namespace, str) else "must be a string"
        if reason:
            found.append(_at(manifest, ("metadata", "namespace"), f"{repr(namespace)} {reason}", secrets=secrets))
    labels = metadata.get("labels")
    if labels is not None and not _seen_valid(labels):
        found.extend(_labels(manifest, labels, secrets))
    annotations = metadata.get("annotations")
    if annotations is not None and not (type(annotations) is dict and all(type(v) is str for v in annotations.values())):
        found.extend(_annotations(manifest, annotations, secrets))
    at = _POD_TEMPLATE_LABELS.get(str(kind))
    if at:
        labels = _within(obj, at)
        if labels is not None and not _seen_valid(labels):
            found.extend(_labels(manifest, labels, secrets, at=at))
    return found


# kind -> path of the labels of its pod template, which the API server checks as an object's
_POD_TEMPLATE_LABELS = {
    **dict.fromkeys(("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "ReplicationController"),
                    ("spec", "template", "metadata", "labels")),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "metadata", "labels"),
}


def _within(obj: object, path: tuple) -> object:
    for key in path:
        obj = obj.get(key) if isinstance(obj, dict) else None
    return obj


def _labels(manifest: Manifest, labels: object, secrets: Collection[str], *, at: tuple = ("metadata", "labels")) -> list[problems.Problem]:
    if not isinstance(labels, dict):
        return [_at(manifest, at, "must be a mapping of strings", secrets=secrets)]
    found = []
    for key, value in labels.items():
        if isinstance(value, str) and ((key, value) in _GOOD_LABELS or _good_label(key, value)):
            continue
        path = at + (key,)
        if not _valid_qualified_name(str(key)):
            found.append(_at(manifest, path, "is not a valid label key (an optional DNS prefix and '/', then up to 63 letters, digits, '-', '_', '.')", secrets=secrets))
        if not isinstance(value, str):
            found.append(_at(manifest, path, f"must be a string, not {type(value).__name__}", hint='quote it: {{ value | quote }}', secrets=secrets))
        elif not _valid_label_value(value):
            found.append(_at(manifest, path, f"{repr(value)} is not a valid label value (at most 63 letters, digits, '-', '_', '.', starting and ending with a letter or digit)", secrets=secrets))
    return found


def _good_label(key: object, value: str) -> bool:
    """Whether a label is valid, remembered in _GOOD_LABELS when it is (then _labels reports nothing of it)."""
    if not (isinstance(key, str) and _valid_qualified_name(key) and _valid_label_value(value)):
        return False
    if len(_GOOD_LABELS) < 65536:
        _GOOD_LABELS.add((key, value))
    return True


def _valid_label_value(value: str) -> bool:
    return len(value) <= 63 and (_plain_label(value) or re.match(_LABEL_VALUE, value) is not None)


# (key, value) label pairs found valid: both strings, checked once per process
_GOOD_LABELS: set[tuple[str, str]] = set()


def _seen_valid(labels: object) -> bool:
    """Whether every label of `labels` was found valid before (most labels repeat on every object of a release)."""
    try:
        return isinstance(labels, dict) and labels.items() <= _GOOD_LABELS
    except TypeError:  # an unhashable value (a list, a mapping): _labels says what is wrong with it
        return False


def _annotations(manifest: Manifest, annotations: object, secrets: Collection[str]) -> Iterable[problems.Problem]:
    if annotations is None:
        return
    if not isinstance(annotations, dict):
        yield _at(manifest, ("metadata", "annotations"), "must be a mapping of strings", secrets=secrets)
        return
    for key, value in annotations.items():
        if not isinstance(value, str):
            yield _at(manifest, ("metadata", "annotations", key), f"must be a string, not {type(value).__name__}", hint="quote it: {{ value | quote }}", secrets=secrets)


@functools.lru_cache(maxsize=4096)
def _valid_qualified_name(key: str) -> bool:
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or len(prefix) > 253 or not kinds.is_dns_subdomain(prefix)):
        return False
    return 0 < len(name) <= 63 and (_plain_label(name) or re.match(_LABEL_NAME, name) is not None)


def duplicates(manifests: Iterable[Manifest], *, secrets: Collection[str] = ()) -> list[problems.Problem]:
    """One problem per object that has the same identity as an earlier one."""
    seen: dict[tuple, Manifest] = {}
    found = []
    for manifest in manifests:
        key = manifest.key
        if not key[1] or not key[3]:  # no kind or no name: structure's finding
            continue
        first = seen.setdefault(key, manifest)
        if first is not manifest:
            found.append(
                problems.error(
                    manifest.location,
                    problems.mask(
                        f"{manifest.ident} ({manifest.api_version}) is also rendered by {first.location}:{first.line}; "
                        "two objects with the same kind, namespace and name would overwrite each other",
                        secrets,
                    ),
                    line=manifest.line,
                    hint="give one of them another metadata.name (e.g. prefixed with Release.Name), or render it once",
                )
            )
    return found


def api_problems(manifest: Manifest, *, kube_version: str, custom_kinds: Collection[tuple[str, str]],
                 crds: customresources.Definitions | None = None, secrets: Collection[str] = ()) -> list[problems.Problem]:
    """For lint and render: an apiVersion the target no longer serves (error, naming the replacement), a kind it
    does not serve (warning), fields its schema (or the chart's CRD, for a custom resource) rejects (errors)."""
    api_version, kind = manifest.api_version, manifest.kind
    if not api_version or not kind:
        return []
    pair = (api_version, kind)
    group_kind = (kinds.group_of(api_version), kind)
    if crds is not None and group_kind in crds:
        return [_at(manifest, path, reason, secrets=secrets) for path, reason in crds.findings(manifest.obj)]
    if group_kind in custom_kinds:
        return []
    removed = removedapis.removal(api_version, kind, kube_version=kube_version)
    if removed:
        return [_at(manifest, ("apiVersion",), removed, secrets=secrets,
                    hint="see https://kubernetes.io/docs/reference/using-api/deprecation-guide/")]
    known = kubeapis.known_kinds(kube_version)
    if not known:
        return []
    if pair not in known:
        others = kubeapis.versions_of(kube_version, kind)
        if others:
            reason = f"Kubernetes {kube_version} does not serve {kind} as {api_version}; it serves it as {', '.join(others)}"
        else:
            reason = f"{api_version} {kind} is not a built-in kind of Kubernetes {kube_version} and no CRD in the chart defines it"
        return [_at(manifest, ("apiVersion",), removedapis.deprecated(*pair, kube_version=kube_version) or reason,
                    level=problems.WARNING, secrets=secrets)]
    rejected = kubeapis.schema_errors(manifest.obj, kube_version=kube_version)
    beyond_schema = apivalues.findings(manifest.obj)
    deprecation = removedapis.deprecated(*pair, kube_version=kube_version)
    if not (rejected or beyond_schema or deprecation):
        return []  # most objects
    by_schema = {path for path, _ in rejected}
    rejected += [(path, reason) for path, reason in beyond_schema if path not in by_schema]
    found = [_at(manifest, path, reason, secrets=secrets) for path, reason in rejected]
    return found + ([_at(manifest, ("apiVersion",), deprecation, level=problems.WARNING, secrets=secrets)] if deprecation else [])


def custom_kinds(manifests: Iterable[Manifest], *, scope: str | None = None) -> set[tuple[str, str]]:
    """(group, kind) of every CustomResourceDefinition among `manifests` (of `scope` only, when given)."""
    found = set()
    for manifest in manifests:
        spec = manifest.obj.get("spec") if manifest.obj.get("kind") == "CustomResourceDefinition" else None
        if not isinstance(spec, dict) or (scope is not None and spec.get("scope") != scope):
            continue
        names = spec.get("names")
        if isinstance(names, dict) and names.get("kind"):
            found.add((str(spec.get("group") or ""), str(names["kind"])))
    return found


def surprising_scalars(manifest: Manifest, *, secrets: Collection[str] = ()) -> list[problems.Problem]:
    """For lint: a warning per plain scalar of the rendered text whose type may surprise (`value: on` is true)."""
    if not manifest.text:
        return []
    return [
        _at(manifest, path, message, level=problems.WARNING, hint="quote it in the template if you mean the string: {{ value | quote }}", secrets=secrets)
        for _line, path, message in yamlcodec.surprises(manifest.text)
    ]

"""Rendered objects: `Manifest`, `Hook`, `Rendered`, and reading them from rendered text.

Owns the typed result of a render. A `Manifest` is one Kubernetes object with
the template it came from, its document index in that file and the line
where the document starts in the rendered text; `key` identifies it as the
API server does (group, kind, namespace, name). A `Hook` is a manifest
annotated `deploykit.io/hook` (or `helm.sh/hook`) with its events, weight and
delete policies. `parse_documents` splits rendered text into manifests,
skipping empty documents, and reports YAML errors with the rendered line.

Must not: render templates, decide apply order or fill namespaces
(assembling does), or print.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Collection

from deploykit.charts import kinds, problems, yamlcodec
from deploykit.frozen import frozen

HOOK_ANNOTATIONS = ("deploykit.io/hook", "helm.sh/hook")
WEIGHT_ANNOTATIONS = ("deploykit.io/hook-weight", "helm.sh/hook-weight")
DELETE_POLICY_ANNOTATIONS = ("deploykit.io/hook-delete-policy", "helm.sh/hook-delete-policy")
HOOK_EVENTS = (
    "pre-install",
    "post-install",
    "pre-upgrade",
    "post-upgrade",
    "pre-rollback",
    "post-rollback",
    "pre-delete",
    "post-delete",
    "test",
)
DELETE_POLICIES = ("before-hook-creation", "hook-succeeded", "hook-failed")
DEFAULT_DELETE_POLICIES = ("before-hook-creation",)


@frozen(eq=False)
class Manifest:
    """One object to apply, and where it came from."""

    obj: dict[str, Any] = dataclasses.field(repr=False)  # may hold decrypted values: never shown
    template: str
    document_index: int = 0
    line: int = 1
    text: str = dataclasses.field(default="", repr=False)

    @property
    def api_version(self) -> str:
        return str(self.obj.get("apiVersion") or "")

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind") or "")

    @property
    def group(self) -> str:
        return kinds.group_of(self.api_version)

    @property
    def metadata(self) -> dict[str, Any]:
        meta = self.obj.get("metadata")
        return meta if isinstance(meta, dict) else {}

    @property
    def name(self) -> str:
        return str(self.metadata.get("name") or "")

    @property
    def namespace(self) -> str | None:
        namespace = self.metadata.get("namespace")
        return str(namespace) if namespace else None

    @property
    def annotations(self) -> dict[str, Any]:
        annotations = self.metadata.get("annotations")
        return annotations if isinstance(annotations, dict) else {}

    @property
    def key(self) -> tuple[str, str, str, str]:
        """(group, kind, namespace, name): the identity the API server sees, whatever the version."""
        return (self.group, self.kind, self.namespace or "", self.name)

    @property
    def ident(self) -> str:
        """`Deployment staging/web` as messages show it."""
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name}"

    @property
    def location(self) -> str:
        """`web/templates/deployment.yaml` (document 2) as messages show it."""
        return self.template if self.document_index == 0 else f"{self.template} (document {self.document_index + 1})"

    def line_of(self, path: tuple) -> int:
        """Line in the rendered output where the value at `path` is (the document start if unknown)."""
        found = yamlcodec.line_of(self.text, path) if self.text else None
        return self.line - _leading_lines(self.text) + found - 1 if found else self.line


@frozen(eq=False)
class Hook:
    """A manifest run at a point of the release's life instead of applied with the rest."""

    manifest: Manifest
    events: tuple[str, ...]
    weight: int = 0
    delete_policies: tuple[str, ...] = DEFAULT_DELETE_POLICIES


@frozen(eq=False)
class Rendered:
    """A rendered chart: objects in apply order, hooks by weight, CRDs, and NOTES.txt."""

    manifests: tuple[Manifest, ...]
    hooks: tuple[Hook, ...] = ()
    crds: tuple[Manifest, ...] = ()
    notes: str | None = dataclasses.field(default=None, repr=False)
    # Secret values the render read from the cluster (Helm's `lookup` of a Secret): secret like the sops values.
    read_secrets: frozenset[str] = dataclasses.field(default=frozenset(), repr=False)

    def hooks_for(self, event: str) -> tuple[Hook, ...]:
        return tuple(hook for hook in self.hooks if event in hook.events)


def parse_documents(text: str, *, template: str, secrets: Collection[str] = (), report: list[problems.Problem]) -> list[Manifest]:
    """The objects in one rendered file; problems (YAML errors, non-objects) go to `report`."""
    found: list[Manifest] = []
    index = 0
    for line, document in yamlcodec.split_documents(text):
        if not document or document.isspace():  # `not document.strip()` without copying the document
            continue
        try:
            obj = yamlcodec.load_fresh(document)
        except yamlcodec.YAMLError as exc:
            report.append(_yaml_problem(exc, document, template=template, first_line=line, secrets=secrets))
            index += 1
            continue
        if obj is None:
            continue  # only comments
        if not isinstance(obj, dict):
            report.append(
                problems.error(
                    template,
                    f"rendered document {index + 1} is a {type(obj).__name__}, not a Kubernetes object",
                    line=line,
                    hint="each YAML document a template renders must be a mapping with apiVersion, kind and metadata",
                )
            )
            index += 1
            continue
        # Every field, in order: the frozen record's fast initialiser (by name, a call costs several times more).
        found.append(Manifest(obj, template, index, line + _leading_lines(document), document))
        index += 1
    return found


def _leading_lines(document: str) -> int:
    """How many blank or comment lines come before the document's first content line."""
    first = document[:1]
    if first and first != "#" and not first.isspace():
        return 0  # the common document, starting with its content: no need to split it into lines
    for number, text in enumerate(document.split("\n", 50)):
        stripped = text.strip()
        if stripped and not stripped.startswith("#"):
            return number
    return 0


def _yaml_problem(exc: Exception, document: str, *, template: str, first_line: int, secrets: Collection[str]) -> problems.Problem:
    at = yamlcodec.error_line(exc, document)
    reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    if at is None:
        return problems.error(template, f"rendered output is not valid YAML: {reason}", line=first_line)
    line = first_line + at
    lines = document.split("\n")
    shown = lines[at] if at < len(lines) else ""
    # The line comes from rendered output, which may hold values: mask secret ones.
    shown = problems.mask(shown, secrets)
    return problems.error(
        template,
        f"rendered output is not valid YAML: {reason}; rendered line {line} is {shown!r}",
        line=line,
        hint="line numbers count lines of the rendered output; check the indentation of what the template inserts there (nindent, to_yaml)",
    )


def hook_of(manifest: Manifest, *, report: list[problems.Problem]) -> Hook | None:
    """The hook a manifest declares, or None for a plain object; bad annotations go to `report`."""
    annotations = manifest.annotations
    if not annotations:
        return None  # most objects: no need to look for each hook annotation
    hook_key = next((a for a in HOOK_ANNOTATIONS if a in annotations), None)
    if hook_key is None:
        return None

    def refuse(key: str, message: str) -> None:
        report.append(problems.error(manifest.template, f"{manifest.ident}: {message}", line=manifest.line_of(("metadata", "annotations", key))))

    value = annotations[hook_key]
    events = tuple(e.strip() for e in str(value).split(",") if e.strip())
    unknown = [e for e in events if e not in HOOK_EVENTS]
    if unknown or not events:
        refuse(hook_key, f"unknown hook event {', '.join(repr(e) for e in unknown) or repr(value)}; known: {', '.join(HOOK_EVENTS)}")
        return None
    weight = 0
    weight_key = next((a for a in WEIGHT_ANNOTATIONS if a in annotations), None)
    if weight_key is not None:
        try:
            weight = int(str(annotations[weight_key]).strip())
        except ValueError:
            refuse(weight_key, f"hook weight {annotations[weight_key]!r} is not an integer")
    policies = DEFAULT_DELETE_POLICIES
    policy_key = next((a for a in DELETE_POLICY_ANNOTATIONS if a in annotations), None)
    if policy_key is not None:
        policies = tuple(p.strip() for p in str(annotations[policy_key]).split(",") if p.strip())
        bad = [p for p in policies if p not in DELETE_POLICIES]
        if bad:
            refuse(policy_key, f"unknown hook delete policy {', '.join(repr(b) for b in bad)}; known: {', '.join(DELETE_POLICIES)}")
            policies = tuple(p for p in policies if p in DELETE_POLICIES)
    return Hook(manifest=manifest, events=events, weight=weight, delete_policies=policies)

"""Reading a pipeline file (`pipelines/*.yaml`) into a `model.Pipeline`, with every problem located.

Owns: parsing the YAML with the line of every key and item, validating it
against the JSON Schema shipped in `schema/pipeline.v1.json` (mapping each
jsonschema error to `file:line: field: message`, an unknown key to a
did-you-mean), running the semantic checks of `checking`, and building the
model with paths made relative to the pipeline file's folder.

Every problem is collected before anything is refused, so a user fixes a file
in one round: `load` raises one `PipelineError` listing them all.

Must not: decrypt anything, talk to a cluster, or write files.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import re
from importlib import resources
from typing import Any

import yaml

from deploykit import errors
from deploykit.pipeline import checking, model
from deploykit.pipeline.problems import Problem, field_name
from deploykit.wording import did_you_mean, type_name

MAX_FILE_BYTES = 1024 * 1024  # a pipeline file is a page of YAML; this stops /dev/zero
MAX_NODES = 100_000  # alias expansion ("billion laughs") must not blow up
MAX_DEPTH = 50  # far deeper than the format goes; stops an alias that holds itself
SCHEMA_RESOURCE = "schema/pipeline.v1.json"


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe loader; a date stays the text written (a name or a tag, never a datetime)."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)


@dataclasses.dataclass
class Document:
    """A parsed pipeline file: plain data and the 1-based line of every key and sequence item."""

    source: str
    data: Any
    lines: dict[tuple, int]
    problems: list[Problem] = dataclasses.field(default_factory=list)

    def line(self, path: tuple) -> int:
        """The line of `path`, or of its nearest ancestor that has one."""
        while path and path not in self.lines:
            path = path[:-1]
        return self.lines.get(path, 1)

    def report(self, path: tuple, message: str, *, hint: str | None = None, line: int | None = None) -> None:
        # `spec.stages[1]` reads as `stages[1]`: both places of the body mean the same, and so do their messages.
        shown = path[1:] if path[:1] == ("spec",) and len(path) > 1 else path
        self.problems.append(Problem(self.source, line or self.line(path), field_name(shown), message, hint))


def load(path: str | os.PathLike[str]) -> model.Pipeline:
    """The pipeline in the file at `path`; raises `PipelineError` naming every problem with its line."""
    pipeline, found = check(path)
    if found or pipeline is None:
        raise errors.PipelineError("\nerror: ".join(str(problem) for problem in found))
    return pipeline


def check(path: str | os.PathLike[str]) -> tuple[model.Pipeline | None, list[Problem]]:
    """The pipeline (None if there is any problem) and every problem found, in line order."""
    source = os.fspath(path)
    document = parse(_read(source), source=source)
    if not document.problems:
        _validate_schema(document)
        checking.check(document, base=os.path.dirname(source))
    found = sorted(document.problems, key=lambda problem: problem.line)
    return (None if found else _build(document, base=os.path.dirname(source))), found


def _read(source: str) -> str:
    try:
        with open(source, "rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise errors.PipelineError(f"cannot read pipeline file {source}: {exc.strerror or exc}",
                                   hint="give the path of a pipeline file, e.g. pipelines/demo.yaml") from exc
    if len(raw) > MAX_FILE_BYTES:
        raise errors.PipelineError(f"{source}: larger than {MAX_FILE_BYTES // 1024} KiB; not a pipeline file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise errors.PipelineError(f"{source}: not UTF-8 text (invalid byte at offset {exc.start})") from exc


# --- YAML with lines --------------------------------------------------------------------------


def parse(text: str, *, source: str) -> Document:
    """YAML text into a `Document`; YAML errors, duplicate and non-string keys become problems."""
    document = Document(source=source, data=None, lines={(): 1})
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            document.report((), "the file is empty", hint="start from pipelines/demo.yaml; see docs/pipelines.md")
            return document
        builder = _Builder(loader, document)
        document.data = builder.build(node, ())
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        braced = "{stage}" in (text.splitlines()[line - 1:line] or [""])[0]
        document.report((), f"not valid YAML: {exc.problem or exc.context}", line=line,
                        hint="quote a path holding {stage} inside [ ] or { }: [\"values/{stage}.yaml\"]" if braced else None)
    except yaml.YAMLError as exc:
        document.report((), f"not valid YAML: {exc}")
    except RecursionError:  # a `<<` merge of a mapping into itself, flattened by PyYAML
        document.report((), "not valid YAML: a merge (<<) or alias refers to itself")
    finally:
        loader.dispose()
    if document.data is not None and not isinstance(document.data, dict) and not document.problems:
        document.report((), f"a pipeline file must be a mapping, not {type_name(document.data)}")
    return document


class _Builder:
    def __init__(self, loader: yaml.SafeLoader, document: Document) -> None:
        self.loader = loader
        self.document = document
        self.nodes = 0

    def build(self, node: yaml.Node, path: tuple) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise yaml.YAMLError(f"more than {MAX_NODES} nodes (aliases expanding without bound?)")
        if len(path) > MAX_DEPTH:
            raise yaml.MarkedYAMLError(problem=f"nested deeper than {MAX_DEPTH} levels (an alias holding itself?)",
                                       problem_mark=node.start_mark)
        if isinstance(node, yaml.MappingNode):
            own = {id(key_node) for key_node, _ in node.value}
            self.loader.flatten_mapping(node)  # `<<` merges, as YAML means them: merged pairs first, then own
            result: dict[str, Any] = {}
            merged: set[str] = set()
            for key_node, value_node in node.value:
                key = self.loader.construct_object(key_node, deep=True)
                line = key_node.start_mark.line + 1
                if not isinstance(key, str):
                    self.document.report(path, f"key {key!r} must be a string", line=line)
                    continue
                if id(key_node) not in own:
                    merged.add(key)
                elif key in merged:  # a key written here overrides one merged in
                    merged.discard(key)
                    del result[key]
                if key in result and key not in merged:
                    first = self.document.lines[path + (key,)]
                    self.document.report(path + (key,), f"duplicate key (first at line {first})", line=line)
                    continue
                self.document.lines[path + (key,)] = line
                result[key] = self.build(value_node, path + (key,))
            return result
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                self.document.lines[path + (index,)] = item.start_mark.line + 1
                items.append(self.build(item, path + (index,)))
            return items
        return self.loader.construct_object(node, deep=True)


# --- JSON Schema ------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    """The pipeline file's JSON Schema (deploykit/pipeline/schema/pipeline.v1.json)."""
    return json.loads(resources.files("deploykit.pipeline").joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def _validator() -> Any:
    import jsonschema

    return jsonschema.Draft202012Validator(schema())


def _validate_schema(document: Document) -> None:
    for error in _validator().iter_errors(document.data):
        _report_schema_error(document, error)


def _report_schema_error(document: Document, error: Any) -> None:
    path = tuple(error.absolute_path)
    rule, expected, value, subschema = error.validator, error.validator_value, error.instance, error.schema
    if rule == "additionalProperties" and isinstance(value, dict):
        known = list(subschema.get("properties", {}))
        patterns = [re.compile(pattern) for pattern in subschema.get("patternProperties", {})]
        for key in value:
            if key not in known and not any(pattern.search(key) for pattern in patterns):
                guess = did_you_mean(key, known)
                document.report(path + (key,), "unknown field" + (f" (did you mean {guess!r}?)" if guess else ""),
                                hint="fields here: " + ", ".join(known))
    elif rule == "required" and isinstance(value, dict):
        known = list(subschema.get("properties", {}))
        mistyped = {did_you_mean(key, known) for key in value if key not in known}
        for key in expected:
            if key not in value and key not in mistyped:  # a typo of it is reported as an unknown field
                document.report(path + (key,), "is required", line=document.line(path))
    elif rule == "type":
        wanted = " or ".join(expected) if isinstance(expected, list) else expected
        document.report(path, f"must be {_article(wanted)}, not {type_name(value)}")
    elif rule in ("minLength", "minItems") and "description" not in subschema:
        document.report(path, "must not be empty")
    elif rule == "minItems":
        document.report(path, subschema["description"])
    elif "description" in subschema:
        guess = did_you_mean(value, subschema.get("enum", [])) if isinstance(value, str) else None
        document.report(path, f"{value!r} {subschema['description']}" + (f" (did you mean {guess!r}?)" if guess else ""))
    else:
        document.report(path, error.message)


def _article(wanted: str) -> str:
    names = {"object": "a mapping", "array": "a list", "string": "a string", "number": "a number",
             "boolean": "true or false", "integer": "an integer"}
    return " or ".join(names.get(part, part) for part in wanted.split(" or "))


# --- model ------------------------------------------------------------------------------------


def _build(document: Document, *, base: str) -> model.Pipeline:
    body, _ = checking.body_of(document.data)
    releases = tuple(
        model.Release(
            name=release["name"],
            chart=checking.resolve(base, release["chart"]),
            namespace=release["namespace"],
            values=tuple(checking.resolve(base, path) for path in release.get("values", ())),
            secrets=tuple(checking.resolve(base, path) for path in release.get("secrets", ())),
            set={key: checking.set_text(value) for key, value in release.get("set", {}).items()},
            needs=tuple(release.get("needs", ())),
            template_engine=release.get("templateEngine", "auto"),
            skip_crds=release.get("skipCrds", False),
        )
        for release in body["releases"]
    )
    stages = tuple(_stage(stage, base=base) for stage in body["stages"])
    public_key = body.get("publicKey")
    return model.Pipeline(
        name=document.data["metadata"]["name"],
        source=document.source,
        releases=releases,
        stages=stages,
        public_key=public_key.strip() if public_key else None,
    )


def _stage(stage: dict[str, Any], *, base: str) -> model.Stage:
    policy = stage.get("policy", {})
    defaults = model.Policy()
    return model.Stage(
        name=stage["name"],
        clusters=tuple(_cluster(cluster, stage=stage["name"], base=base) for cluster in stage["clusters"]),
        values=tuple(checking.resolve(base, path) for path in stage.get("values", ())),
        secrets=tuple(checking.resolve(base, path) for path in stage.get("secrets", ())),
        policy=model.Policy(
            timeout=str(policy.get("timeout", defaults.timeout)),
            atomic=policy.get("atomic", defaults.atomic),
            create_namespace=policy.get("createNamespace", defaults.create_namespace),
        ),
        requires=tuple(stage.get("requires", ())),
        approval=stage.get("approval"),
    )


def _cluster(cluster: dict[str, Any], *, stage: str, base: str) -> model.Cluster:
    sim = cluster.get("sim")
    kubeconfig = cluster.get("kubeconfig")
    return model.Cluster(
        name=checking.cluster_name(cluster),
        kubeconfig=checking.resolve(base, kubeconfig.replace("{stage}", stage)) if kubeconfig else None,
        context=cluster.get("context"),
        sim_state=checking.resolve(base, sim["state"].replace("{stage}", stage)) if sim else None,
    )

"""What `deploykit template` does: render a chart and print its objects in apply order.

Turns the flag values into `RenderOptions`, calls the render action, prints each object
as a YAML document preceded by `# Source: <template>` (the CRDs of crds/
first, with --include-crds only, as Helm; then objects in apply order, then
hooks by weight), or writes one file per template under --output-dir. Takes
`CHART --release NAME` or Helm's `RELEASE CHART`; --show-only keeps the
objects of the templates named (as Helm: relative to the chart, globs). The
values of Secret objects (`data`, `stringData`) print as *** unless
--show-secrets; they are never written to --output-dir in plaintext.

Must not: import typer (the fast front runs it without; deploykit.cli.template
declares its flags), Jinja2, jsonschema or the chart code at module level, or
print anything but the rendered objects on stdout. Errors leave through the CLI root (exit 2: nothing produced).
"""

from __future__ import annotations

import os
from typing import Any, Optional

from deploykit import errors
from deploykit.cli import renderoptions
from deploykit.cli.printing import echo

SECRET_MASK = "***"
DEFAULT_RELEASE = "release-name"


def _masked(obj: dict[str, Any]) -> dict[str, Any]:
    """A copy of a Secret with every value of data/stringData replaced by ***."""
    masked = dict(obj)
    for field in ("data", "stringData"):
        if isinstance(obj.get(field), dict):
            masked[field] = {key: SECRET_MASK for key in obj[field]}
    return masked


def _documents(result: Any, *, show_secrets: bool, include_crds: bool) -> list[tuple[str, str]]:
    """(template, YAML document) for every object, in the order printed (crds/ only when asked, as Helm), masked
    unless show_secrets."""
    from deploykit.charts import yamlcodec
    from deploykit.secrets import redaction

    rendered = result.rendered
    ordered = [*(rendered.crds if include_crds else ()), *rendered.manifests, *(hook.manifest for hook in rendered.hooks)]
    found = []
    for manifest in ordered:
        obj = manifest.obj
        if show_secrets:
            text = yamlcodec.dump(obj)
        elif manifest.kind == "Secret" and manifest.api_version == "v1":
            text = _readable_secret(obj)
        else:
            text = redaction.mask(yamlcodec.dump(obj))
        found.append((manifest.template, text))
    return found


def _shown_only(documents: list[tuple[str, str]], patterns: list[str]) -> list[tuple[str, str]]:
    """The documents whose template matches a --show-only pattern (relative to the chart, globs allowed, as Helm)."""
    import fnmatch

    def matches(template: str, pattern: str) -> bool:  # Go's filepath.Match: a * stays within one folder
        parts, wanted = template.split("/")[1:], pattern.replace(os.sep, "/").split("/")
        return len(parts) == len(wanted) and all(fnmatch.fnmatchcase(p, w) for p, w in zip(parts, wanted))

    chosen: set[int] = set()
    for pattern in patterns:
        matched = {i for i, (template, _) in enumerate(documents) if matches(template, pattern)}
        if not matched:
            raise errors.UsageError(f"could not find template {pattern} in chart",
                                    hint="give the path as in the chart, e.g. -s templates/deployment.yaml "
                                         "(a subchart's: charts/NAME/templates/...)")
        chosen |= matched
    return [document for i, document in enumerate(documents) if i in chosen]


def _identity(first: str, second: str | None, release: str | None) -> tuple[str, str]:
    """(release, chart) from `CHART` or Helm's `RELEASE CHART`, with --release as the other way to name it."""
    if second is None:
        return release or DEFAULT_RELEASE, first
    if release is not None and release != first:
        raise errors.UsageError(f"release name given twice: {first!r} before the chart and --release {release!r}",
                                hint="name it once: `template RELEASE CHART` or `template CHART --release RELEASE`")
    return first, second


def _readable_secret(obj: dict[str, Any]) -> str:
    """A Secret's YAML, its values as ***, masked but for short words in its own keys and name.

    A short secret value (`admin`) is often also the name of the key that holds
    it: masked there, the Secret would read `<redacted>: ***`. Strings of the
    Secret are masked whole; its keys and name only for secrets that are not
    short words (see `redaction.is_word`).
    """
    from deploykit.charts import yamlcodec
    from deploykit.secrets import redaction

    def shown(data: Any) -> Any:
        if isinstance(data, dict):
            return {(redaction.mask(key, words=False) if isinstance(key, str) else key): shown(value) for key, value in data.items()}
        if isinstance(data, list):
            return [shown(item) for item in data]
        return redaction.mask(data) if isinstance(data, str) else data

    masked = shown(_masked(obj))
    metadata, name = masked.get("metadata"), (obj.get("metadata") or {}).get("name")
    if isinstance(metadata, dict) and isinstance(name, str) and "name" in metadata:
        metadata["name"] = redaction.mask(name, words=False)
    return redaction.mask(yamlcodec.dump(masked), words=False)


def _write_output_dir(directory: str, documents: list[tuple[str, str]]) -> list[str]:
    from deploykit.report import saving

    by_template: dict[str, list[str]] = {}
    for template, text in documents:
        by_template.setdefault(template, []).append(text)
    written = []
    for template, texts in by_template.items():
        path = os.path.join(directory, *template.split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        # The documents are masked already (files skip the masking stdout): masking again would hide Secret keys.
        saving.save(path, "".join(f"---\n# Source: {template}\n{text}" for text in texts))
        written.append(path)
    return written


def template(
    first: str,
    second: Optional[str],
    *,
    values_files: list[str],
    set_values: list[str],
    set_strings: list[str],
    set_files: list[str],
    set_json: list[str],
    set_literals: list[str],
    release: Optional[str],
    namespace: str,
    show_only: list[str],
    include_crds: bool,
    output_dir: str | None,
    kube_version: str,
    api_versions: list[str],
    show_secrets: bool,
    allow_unencrypted_secrets: bool,
    skip_schema_validation: bool,
    render_timeout: float | None,
    render_max_output: int | None,
    template_engine: str,
) -> None:
    """Render CHART (`first`, or `second` after the release name) and print its objects as YAML, in apply
    order; every flag's value as deploykit.cli.template declares it."""
    from deploykit.release import rendering

    release, chart = _identity(first, second, release)
    if show_secrets and output_dir:
        raise errors.UsageError(
            "--show-secrets cannot be combined with --output-dir: deploykit never writes secret values to disk",
            hint="print to stdout with --show-secrets, or write masked files without it",
        )
    if output_dir and os.path.exists(output_dir) and not os.path.isdir(output_dir):
        raise errors.UsageError(f"--output-dir {output_dir} is a file", hint="give a folder (created if missing)")
    options = renderoptions.bind(
        chart,
        values_files=values_files,
        set_values=set_values,
        set_strings=set_strings,
        set_files=set_files,
        set_json=set_json,
        set_literals=set_literals,
        release=release,
        namespace=namespace,
        kube_version=kube_version,
        api_versions=api_versions,
        allow_unencrypted_secrets=allow_unencrypted_secrets,
        render_timeout=render_timeout,
        render_max_output=render_max_output,
        template_engine=template_engine,
        skip_schema_validation=skip_schema_validation,
    )
    result = rendering.render(options)
    documents = _documents(result, show_secrets=show_secrets, include_crds=include_crds)
    if show_only:
        documents = _shown_only(documents, show_only)
    if output_dir:
        try:
            written = _write_output_dir(output_dir, documents)
        except OSError as exc:
            raise errors.UsageError(f"--output-dir {output_dir}: cannot write {exc.filename}: {exc.strerror or exc}",
                                    hint="give a folder you can write to") from None
        for path in written:
            echo(f"wrote {path}", err=True)
        return
    text = "".join(f"---\n# Source: {template}\n{text}" for template, text in documents)
    from deploykit.secrets import redaction

    # Masked above (Secret keys kept readable), or --show-secrets asked for decrypted values.
    with redaction.unmasked_stdout():
        echo(text, nl=False)

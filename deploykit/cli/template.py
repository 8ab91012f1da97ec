"""`deploykit template`: render a chart and print its objects in apply order.

Binds flags into `RenderOptions`, calls the render action, prints each object
as a YAML document preceded by `# Source: <template>` (CRDs first, then
objects in apply order, then hooks by weight), or writes one file per
template under --output-dir. The values of Secret objects (`data`,
`stringData`) print as *** unless --show-secrets; they are never written to
--output-dir in plaintext.

Must not: import Jinja2, jsonschema or the chart code at module level
(`deploykit --help` stays fast), or print anything but the rendered objects
on stdout. Errors leave through the CLI root (exit 2: nothing produced).
"""

from __future__ import annotations

import os
from typing import Any

import typer

from deploykit import errors
from deploykit.cli import apps, chartflags

app = apps.command_app()

SECRET_MASK = "***"


def _masked(obj: dict[str, Any]) -> dict[str, Any]:
    """A copy of a Secret with every value of data/stringData replaced by ***."""
    masked = dict(obj)
    for field in ("data", "stringData"):
        if isinstance(obj.get(field), dict):
            masked[field] = {key: SECRET_MASK for key in obj[field]}
    return masked


def _documents(result: Any, *, show_secrets: bool) -> list[tuple[str, str]]:
    """(template, YAML document) for every object, in the order they are printed; masked unless show_secrets."""
    from deploykit.charts import yamlcodec
    from deploykit.secrets import redaction

    rendered = result.rendered
    ordered = [*rendered.crds, *rendered.manifests, *(hook.manifest for hook in rendered.hooks)]
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
    by_template: dict[str, list[str]] = {}
    for template, text in documents:
        by_template.setdefault(template, []).append(text)
    written = []
    for template, texts in by_template.items():
        path = os.path.join(directory, *template.split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            # The documents are masked already (files skip the masking stdout): masking again would hide Secret keys.
            handle.write("".join(f"---\n# Source: {template}\n{text}" for text in texts))
        written.append(path)
    return written


@app.command(no_args_is_help=True)
def template(
    chart: str = chartflags.CHART,
    values_files: list[str] = chartflags.VALUES,
    set_values: list[str] = chartflags.SET,
    set_strings: list[str] = chartflags.SET_STRING,
    set_files: list[str] = chartflags.SET_FILE,
    set_json: list[str] = chartflags.SET_JSON,
    release: str = chartflags.RELEASE,
    namespace: str = chartflags.NAMESPACE,
    output_dir: str | None = typer.Option(None, "--output-dir", metavar="DIR", help="Write one file per template under this folder instead of printing."),
    kube_version: str = chartflags.KUBE_VERSION,
    api_versions: list[str] = chartflags.API_VERSIONS,
    show_secrets: bool = typer.Option(False, "--show-secrets", help="Print the values of Secret objects instead of ***."),
    allow_unencrypted_secrets: bool = chartflags.ALLOW_UNENCRYPTED,
) -> None:
    """Render CHART and print its objects as YAML, in apply order."""
    from deploykit.release import rendering

    if show_secrets and output_dir:
        raise errors.UsageError(
            "--show-secrets cannot be combined with --output-dir: deploykit never writes secret values to disk",
            hint="print to stdout with --show-secrets, or write masked files without it",
        )
    if output_dir and os.path.exists(output_dir) and not os.path.isdir(output_dir):
        raise errors.UsageError(f"--output-dir {output_dir} is a file", hint="give a folder (created if missing)")
    options = chartflags.bind(
        chart,
        values_files=values_files,
        set_values=set_values,
        set_strings=set_strings,
        set_files=set_files,
        set_json=set_json,
        release=release,
        namespace=namespace,
        kube_version=kube_version,
        api_versions=api_versions,
        allow_unencrypted_secrets=allow_unencrypted_secrets,
    )
    result = rendering.render(options)
    documents = _documents(result, show_secrets=show_secrets)
    if output_dir:
        try:
            written = _write_output_dir(output_dir, documents)
        except OSError as exc:
            raise errors.UsageError(f"--output-dir {output_dir}: cannot write {exc.filename}: {exc.strerror or exc}",
                                    hint="give a folder you can write to") from None
        for path in written:
            typer.echo(f"wrote {path}", err=True)
        return
    text = "".join(f"---\n# Source: {template}\n{text}" for template, text in documents)
    from deploykit.secrets import redaction

    # Masked above (Secret keys kept readable), or --show-secrets asked for decrypted values.
    with redaction.unmasked_stdout():
        typer.echo(text, nl=False)

"""The `RenderOptions` of the render action, from the values of the chart flags (deploykit.cli.chartflags).

Must not: import typer (the fast front runs commands without it) or the
chart code at module level.
"""

from __future__ import annotations

from typing import Any


def bind(
    chart: str,
    *,
    values_files: list[str],
    set_values: list[str],
    set_strings: list[str],
    set_files: list[str],
    set_json: list[str],
    set_literals: list[str],
    release: str,
    namespace: str,
    kube_version: str,
    api_versions: list[str],
    allow_unencrypted_secrets: bool,
    render_timeout: float | None = None,
    render_max_output: int | None = None,
    template_engine: str = "auto",
    skip_schema_validation: bool = False,
) -> Any:
    """The `RenderOptions` for these flag values."""
    from deploykit.charts import engines
    from deploykit.release.inputs import RenderOptions, values_paths

    return RenderOptions(
        chart=chart,
        values_files=values_paths(values_files),
        set_values=tuple(set_values),
        set_strings=tuple(set_strings),
        set_files=tuple(set_files),
        set_json=tuple(set_json),
        set_literals=tuple(set_literals),
        release=release,
        namespace=namespace,
        kube_version=kube_version,
        api_versions=tuple(api_versions),
        allow_unencrypted_secrets=allow_unencrypted_secrets or None,
        render_timeout=render_timeout,
        render_max_output=render_max_output,
        template_engine=engines.check_choice(template_engine),
        skip_schema_validation=skip_schema_validation,
    )

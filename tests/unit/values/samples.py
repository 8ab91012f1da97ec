"""The sample web chart's values from tests/data/values/web, composed as a deploy composes them."""

from __future__ import annotations

from pathlib import Path

from deploykit.values import loading, provenance, setting

WEB = Path(__file__).parents[2] / "data" / "values" / "web"


def web_values(set_expression: str) -> provenance.Values:
    """Chart defaults < staging.yaml < secrets.yaml (secret, as after sops) < one --set."""
    return provenance.compose([
        loading.load_file(WEB / "values.yaml"),
        loading.load_file(WEB / "staging.yaml"),
        loading.load_file(WEB / "secrets.yaml", secret=True),
        setting.parse_set(set_expression),
    ])

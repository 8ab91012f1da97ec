"""The bad-input corpus: every case in tests/data/values/bad/ fails with a clear, located error."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from deploykit import errors
from deploykit.values import loading, provenance, schema, setting

CORPUS = Path(__file__).parents[2] / "data" / "values" / "bad"
CASES = sorted(path.name for path in CORPUS.iterdir() if (path / "case.yaml").is_file())


def _run(case: dict) -> None:
    if "load" in case:
        loading.load_file(case["load"], secret=case.get("secret", False))
    elif "set" in case:
        setting.parse_set(case["set"], kind=case.get("kind", "set"))
    else:
        layers = [loading.load_file(name) for name in case["compose"]]
        layers += [loading.load_file(name, secret=True) for name in case.get("secret", [])]
        values = provenance.compose(layers)
        schema.check(values, schema.load_schema(case["schema"]), schema_file=case["schema"])


def test_the_corpus_is_large_enough() -> None:
    """Without enough cases, whole families of bad input would go unchecked."""
    assert len(CASES) >= 12


@pytest.mark.parametrize("name", CASES)
def test_bad_input_fails_with_a_located_message(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A user giving this input would get a traceback or a vague error instead of file/line/path."""
    case = yaml.safe_load((CORPUS / name / "case.yaml").read_text())
    monkeypatch.chdir(CORPUS / name)
    with pytest.raises(errors.DeploykitError) as caught:
        _run(case)
    error = caught.value
    assert type(error).__name__ == case["error"]
    assert error.exit_code == 2
    for fragment in case["expect"]:
        assert fragment in str(error)
    for fragment in case.get("absent", []):
        assert fragment not in str(error)
        assert fragment not in repr(error)

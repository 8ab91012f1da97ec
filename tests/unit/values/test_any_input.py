"""Any text a user can type or a file can hold: parsed, or refused with a ValuesError naming where; never a crash."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from deploykit import errors
from deploykit.values import loading, setting

# What --set expressions and values files are made of, so that examples come close to valid ones.
_SET_TEXT = st.text(alphabet="ab1.,=[]{}\\\"' :-\n", max_size=24)
_YAML_TEXT = st.text(alphabet="ab1:-#\"'{}[],&*!|>% \t\n", max_size=60)


@settings(max_examples=300)
@given(expression=_SET_TEXT, kind=st.sampled_from(["set", "string", "json", "literal"]))
@example(expression="a[99999999999]=1", kind="set")
@example(expression="a=[", kind="json")
def test_any_set_expression_parses_or_names_itself(expression, kind):
    """A --set typo would end in a Python traceback instead of `error: --set ...: ... at position N`."""
    try:
        setting.parse_set(expression, kind=kind)
    except errors.ValuesError as exc:
        assert exc.exit_code == 2
        assert str(exc).startswith("--set")


@settings(max_examples=300)
@given(text=_YAML_TEXT)
@example(text="a: &x [*x]\n")
@example(text="a:\n\t- b\n")
def test_any_values_text_loads_or_names_the_file(text):
    """A damaged values file would end in a Python traceback instead of `error: FILE:LINE: ...`."""
    try:
        loading.load_text(text, source="values/prod.yaml")
    except errors.ValuesError as exc:
        assert exc.exit_code == 2
        assert str(exc).startswith("values/prod.yaml")

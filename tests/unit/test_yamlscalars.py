"""deploykit's own YAML 1.1 typing of plain scalars, held to PyYAML's resolver it replaces on the template path."""

from __future__ import annotations

import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from deploykit import yamlscalars

TRICKY = [
    "0o17", "0x_1F", "1_000", "1:20", "+.inf", ".NaN", "~", "Yes", "NO", "on", "Off", "2001-12-14t21:59:43.10-05:00",
    "1e3", "1.", "-.5", "0", "-0", "00", "08", "0b1_0", "", "<<", "=", "null", "Null", "n", "y", "190:20:30.15",
    "2001-12-14", "2001-1-4 1:59:43", "2001-12-14 21:59:43.10 Z", "1.0e+3", "1.0e3", "0x", "0b", "+", "-", ".",
    "1:60", "01:20", "-1:0:0", "1__0", "0.", "._5", ".5_0", "yes\n", "\n", "~\n", "1\n", "1\n\n", "TRUE", "tRue",
]
SIGNS = st.sampled_from(["", "+", "-"])
DIGITS = st.text(alphabet="0123456789_", max_size=5)
NUMBERS = st.builds(
    lambda sign, prefix, head, dot, tail, exponent, clock: sign + prefix + head + dot + tail + exponent + clock,
    SIGNS, st.sampled_from(["", "0", "0x", "0o", "0b", "0X"]), st.text(alphabet="0123456789abcdefABCDEF_", max_size=5),
    st.sampled_from(["", ".", ":"]), DIGITS, st.sampled_from(["", "e3", "e+3", "E-10", "e", "e+"]),
    st.sampled_from(["", ":20", ":5:59", ":60", ".5"]),
)
TIMESTAMPS = st.from_regex(
    r"[0-9]{4}-[0-9]{1,3}-[0-9]{1,3}([Tt]|[ \t]{1,2})?([0-9]{1,2}:[0-9]{2}:[0-9]{2}(\.[0-9]{0,3})?)?"
    r"([ \t]?(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?\n?",
    fullmatch=True,
)
WORDS = st.builds(lambda word, end: word + end, st.sampled_from(sorted(
    {"yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off",
     "Off", "OFF", "y", "n", "~", "null", "Null", "NULL", "nULL", ".inf", "-.Inf", "+.INF", ".nan", ".NaN", "<<", "="})),
    st.sampled_from(["", "\n", "\n\n", " ", "x"]))
PLAIN_SCALARS = st.one_of(st.sampled_from(TRICKY), NUMBERS, TIMESTAMPS, WORDS,
                          st.text(alphabet="0123456789+-._:eExXbBoO ~<=yYnNtTZ\t\n", max_size=12))
PYYAML = yaml.resolver.Resolver()


@settings(max_examples=3000, deadline=None)
@given(PLAIN_SCALARS)
@example("2001-12-14t21:59:43.10-05:00")
def test_yaml11_tag_agrees_with_pyyaml(text: str) -> None:
    """A string that PyYAML (and so every YAML 1.1 reader) retypes would be dumped unquoted, or a safe one quoted."""
    assert yamlscalars.yaml11_tag(text) == PYYAML.resolve(yaml.ScalarNode, text, (True, False)), repr(text)

"""Plain values holding sops ciphertext are refused, naming the leaf; values without any are cleared at a glance."""

import re
import types

import pytest

from deploykit import errors
from deploykit.release import inputs

CIPHERTEXT = "ENC[AES256_GCM,data:l7x4,iv:ZYbT,tag:+gXh,type:str]"


def test_values_without_a_sops_marker_are_cleared_without_naming_each_leaf(monkeypatch):
    """Every render would spend milliseconds building the path of each chart default only to find no ciphertext."""
    def named_every_leaf(*args, **kwargs):
        raise AssertionError("walked every leaf with its path")

    monkeypatch.setattr(inputs.ciphertexts, "iter_leaves", named_every_leaf)
    defaults = {f"app{i}": {"env": {"A": "ENC", "B": "[x]"}, "ports": [80, {"name": "http"}], "on": True} for i in range(50)}
    inputs.refuse_ciphertext(defaults, source="web/values.yaml")


@pytest.mark.parametrize("where, data", [
    ("a[0].b[1]", {"a": [{"b": ["plain", CIPHERTEXT]}]}),
    ("deep.list[0][0]", {"deep": {"list": [[CIPHERTEXT]]}}),
    ("view.key", {"view": types.MappingProxyType({"key": "prefix " + CIPHERTEXT})}),
])
def test_ciphertext_anywhere_in_plain_values_is_refused_with_its_path(where, data):
    """Ciphertext under a list or an unusual mapping would be deployed as the value."""
    with pytest.raises(errors.SecretsError, match=rf"web/values.yaml: {re.escape(where)} holds sops ciphertext"):
        inputs.refuse_ciphertext(data, source="web/values.yaml")


def test_enc_without_ciphertext_is_not_refused():
    """A value that only mentions ENC[ (a note, a regex) would be refused as a lost sops block."""
    inputs.refuse_ciphertext({"note": "ENC[not-ciphertext]", "list": ["ENC["]}, source="web/values.yaml")

"""Values files read with Helm's YAML typing (go-yaml v2 through sigs.k8s.io/yaml), checked against Helm itself."""

from __future__ import annotations

import math

import pytest

from deploykit import errors, yamlscalars
from deploykit.values import loading

# Each plain scalar with the value `helm template` gives it (checked with helm-python-sdk: kindOf and toJson).
HELM_TYPED = [
    ("y", True), ("Y", True), ("yes", True), ("On", True), ("n", False), ("N", False), ("no", False), ("OFF", False),
    ("TRUE", True), ("1e3", 1000.0), ("1E3", 1000.0), ("1e-3", 0.001), ("+.5", 0.5), ("1.", 1.0), (".5_0", 0.5),
    ("0o17", 15), ("0O17", 15), ("017", 15), ("-017", -15), ("08", 8.0), ("09.5", 9.5), ("00", 0), ("0x1F", 31),
    ("+0x1f", 31), ("0x_1F", 31), ("0b101", 5), ("1_000", 1000), ("1__0", 10), ("+12", 12),
    ("1:30", "1:30"), ("190:20:30.15", "190:20:30.15"), ("2001-12-14", "2001-12-14"), ("=", "="), ("~", None),
    ("0o", "0o"), ("1e", "1e"), ("1,000", "1,000"), ("0x", "0x"), ("1e400", "1e400"), ("._5", "._5"),
    ("9223372036854775808", 9223372036854775808), ("0xFFFFFFFFFFFFFFFFFF", "0xFFFFFFFFFFFFFFFFFF"),
]


@pytest.mark.parametrize(("text", "expected"), HELM_TYPED)
def test_plain_scalars_are_typed_as_helm_types_them(text: str, expected: object) -> None:
    """The same values file would deploy different values with deploykit than with Helm (`y` a string, `017` 17)."""
    value = loading.load_text(f"x: {text}\n", source="v.yaml").data["x"]
    assert value == expected and type(value) is type(expected)


def test_scalar_typing_agrees_with_helm_itself() -> None:
    """deploykit's typing rule would drift from what Helm's own YAML reader gives for the same text."""
    helm_python = pytest.importorskip("helm_python")
    texts = [text for text, _ in HELM_TYPED] + [
        "0b-1", "-0b11", "0777", "0o8", "1e3_0", "tRue", "0.", "-0", "0e0", "18446744073709551615",
        "18446744073709551616", "-9223372036854775809", "1.0e3", "0x1.8p3", "inf", ".e3", "_1", "1_", "<<",
    ]
    document = "".join(f"k{index}: {text}\n" for index, text in enumerate(texts))
    helm = helm_python.values_from_yaml(document)
    ours = loading.load_text(document, source="v.yaml").data
    for index, text in enumerate(texts):
        theirs, mine = helm[f"k{index}"], ours[f"k{index}"]
        if isinstance(theirs, (int, float)) and not isinstance(theirs, bool):  # Helm hands numbers over as JSON
            assert type(mine) in (int, float) and float(mine) == float(theirs), text
        else:
            assert (type(mine), mine) == (type(theirs), theirs), text


def test_keys_become_strings_as_helm_spells_them() -> None:
    """A key such as `y:` or `0x1F:` would keep its text, where Helm's templates see "true" and "31"."""
    data = loading.load_text("m:\n  y: 1\n  0x1F: 2\n  1e3: 3\n  1.5: 4\n  404: 5\n", source="v.yaml").data
    assert data == {"m": {"true": 1, "31": 2, "1000": 3, "1.5": 4, "404": 5}}


def test_keys_that_helm_reads_as_the_same_are_duplicates() -> None:
    """`y:` and `on:` (both "true" in Helm) would silently overwrite each other."""
    with pytest.raises(errors.ValuesError) as caught:
        loading.load_text("y: 1\non: 2\n", source="v.yaml")
    assert "v.yaml:2:1: true: duplicate key (`on` is read as true) (first set on line 1)" in caught.value.message


def test_a_merge_key_written_after_a_key_overrides_it() -> None:
    """A `<<` after `x:` would keep the written x, where Helm takes the merged one."""
    text = "base: &b {x: 1, y2: 2}\nafter:\n  x: 10\n  <<: *b\nbefore:\n  <<: *b\n  x: 10\nlist:\n  <<: [{x: 1}, {x: 2, z: 3}]\n"
    data = loading.load_text(text, source="v.yaml").data
    assert (data["after"], data["before"], data["list"]) == ({"x": 1, "y2": 2}, {"x": 10, "y2": 2}, {"x": 1, "z": 3})


@pytest.mark.parametrize("text", ["a: .inf\n", "a: -.Inf\n", "a:\n  - .nan\n"])
def test_infinity_and_nan_are_refused_with_file_and_path(text: str) -> None:
    """An infinite value would render as `Infinity` in JSON output, which no JSON reader takes (Helm refuses the file)."""
    with pytest.raises(errors.ValuesError) as caught:
        loading.load_text(text, source="v.yaml")
    assert caught.value.message.startswith("v.yaml:") and " a" in caught.value.message
    assert "JSON" in caught.value.message and caught.value.hint


@pytest.mark.parametrize(
    ("text", "line"),
    [("a: 1\nb: !custom [x]\n", 2), ("a:\n  b: !!python/object/apply:os.system [\"true\"]\n", 2), ("a: !!set {x}\n", 1)],
)
def test_an_unknown_tag_is_refused_with_file_and_line(text: str, line: int) -> None:
    """A tagged list or mapping would load with its tag silently dropped, as if the tag meant nothing."""
    with pytest.raises(errors.ValuesError) as caught:
        loading.load_text(text, source="v.yaml")
    assert caught.value.message.startswith(f"v.yaml:{line}:") and "unknown YAML tag !" in caught.value.message


def test_the_documents_of_a_values_file_are_merged_in_order() -> None:
    """A `---` in a values file would be refused, where Helm merges each document over the ones before it."""
    text = "a: 1\nm: {x: 1, y2: 1}\n---\nm: {x: 2}\nb: 2\n---\n"
    assert loading.load_text(text, source="v.yaml").data == {"a": 1, "m": {"x": 2, "y2": 1}, "b": 2}


def test_a_later_document_that_is_not_a_mapping_is_located() -> None:
    """A list as a second document would be silently ignored or fail without its line."""
    with pytest.raises(errors.ValuesError) as caught:
        loading.load_text("a: 1\n---\n- x\n", source="v.yaml")
    assert caught.value.message.startswith("v.yaml:3: the top level of a values file must be a mapping")


def test_surprising_scalars_are_noted_with_line_and_path() -> None:
    """lint could not warn that `y` is a boolean and `017` is 15 in Helm."""
    layer = loading.load_text("a: y\nb:\n  - 017\nc: 'y'\nd: true\ne: 8080\ny: 1\n", source="v.yaml")
    assert [(s.line, s.path, s.message) for s in layer.surprises] == [
        (1, ("a",), "`y` is read as the boolean true"),
        (3, ("b", 0), "`017` is read as the number 15"),
        (7, ("true",), "the key `y` is read as the boolean true"),
    ]


def test_a_secret_layer_notes_no_surprises() -> None:
    """lint would quote a decrypted value in its warning."""
    assert loading.load_text("a: y\n", source="s.yaml", secret=True).surprises == ()


def test_go_float32_key_spelling() -> None:
    """A float key would get a spelling other than the one Helm's templates see."""
    spelt = {text: yamlscalars.key_text(yamlscalars.value(text)) for text in ("0.1", "1e6", "1e-5", "3.3333333333", "-3.25")}
    assert spelt == {"0.1": "0.1", "1e6": "1e+06", "1e-5": "1e-05", "3.3333333333": "3.3333333", "-3.25": "-3.25"}
    assert math.isinf(yamlscalars.value("+.inf"))


def test_line_of_finds_a_key_by_the_spelling_helm_gives_it() -> None:
    """A schema violation under a `y:` key (the key "true") would be reported without its line."""
    assert loading.line_of("a:\n  y:\n    b: 1\n", ("a", "true", "b")) == 2

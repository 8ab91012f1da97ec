"""Loading values files and text: types as Helm reads them, errors that point at the line."""

from __future__ import annotations

import types
from pathlib import Path

import pytest

from deploykit import errors
from deploykit.values import loading


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def test_a_yaml_file_loads_with_helm_types(tmp_path: Path) -> None:
    """Ports would arrive as strings or flags as text, and templates would render them wrongly."""
    path = _write(tmp_path, "values.yaml", "port: 8080\ndebug: true\nname: web\nratio: 0.5\nnothing: null\n")
    layer = loading.load_file(path)
    assert layer.data == {"port": 8080, "debug": True, "name": "web", "ratio": 0.5, "nothing": None}
    assert layer.source == str(path)
    assert layer.secret is False


def test_dates_stay_strings_as_written(tmp_path: Path) -> None:
    """A date-like value (a release date, a version) would become a Python date and render differently."""
    layer = loading.load_file(_write(tmp_path, "values.yaml", "released: 2024-03-01\nat: 2024-03-01T10:00:00Z\n"))
    assert layer.data == {"released": "2024-03-01", "at": "2024-03-01T10:00:00Z"}


def test_a_json_file_loads_by_its_suffix(tmp_path: Path) -> None:
    """Values written as JSON (common from generators) would be refused."""
    layer = loading.load_file(_write(tmp_path, "values.json", '{"image": {"tag": "1.2"}, "ports": [80]}'))
    assert layer.data == {"image": {"tag": "1.2"}, "ports": [80]}


@pytest.mark.parametrize("content", ["", "# only a comment\n", "---\n", "~\n", "\n\n"])
def test_an_empty_file_is_empty_values(tmp_path: Path, content: str) -> None:
    """An empty override file (a common placeholder per environment) would fail the deploy."""
    assert loading.load_file(_write(tmp_path, "values.yaml", content)).data == {}


def test_an_empty_json_file_is_empty_values(tmp_path: Path) -> None:
    """An empty JSON placeholder would fail with a JSON syntax error."""
    assert loading.load_file(_write(tmp_path, "values.json", "  \n")).data == {}


def test_a_byte_order_mark_is_ignored(tmp_path: Path) -> None:
    """Files saved by Windows editors would fail to parse or get a key named '\\ufeffimage'."""
    layer = loading.load_file(_write(tmp_path, "values.yaml", "\ufeffimage: web\n".encode()))
    assert layer.data == {"image": "web"}


def test_text_that_is_not_utf8_names_the_file(tmp_path: Path) -> None:
    """A Latin-1 file would crash with a UnicodeDecodeError traceback."""
    path = _write(tmp_path, "values.yaml", b"name: caf\xe9\n")
    with pytest.raises(errors.ValuesError, match="values.yaml: not UTF-8"):
        loading.load_file(path)


def test_load_text_names_the_layer_after_its_source() -> None:
    """Decrypted sops output would be attributed to no file in messages."""
    layer = loading.load_text("db:\n  password: x\n", source="secrets/staging.yaml", secret=True)
    assert layer.data == {"db": {"password": "x"}}
    assert (layer.source, layer.secret) == ("secrets/staging.yaml", True)


def test_merge_keys_supply_defaults_that_explicit_keys_override() -> None:
    """Charts that share settings with `<<: *anchor` would lose them or report false duplicates."""
    text = "base: &base\n  cpu: 1\n  memory: 1Gi\nworker:\n  <<: *base\n  cpu: 2\n"
    assert loading.load_text(text, source="v.yaml").data["worker"] == {"cpu": 2, "memory": "1Gi"}


def test_non_string_keys_are_kept_as_written() -> None:
    """A map keyed by numbers (HTTP codes) would hold int keys that templates and schema checks reject."""
    assert loading.load_text("codes:\n  404: missing\n  true: yes\n", source="v.yaml").data == {
        "codes": {"404": "missing", "true": True}
    }


def test_a_duplicate_key_inside_a_list_names_its_path_and_lines() -> None:
    """The second `port:` would silently win, as in Helm, and the user would deploy the wrong port."""
    text = "ports:\n  - name: http\n    port: 80\n    port: 8080\n"
    with pytest.raises(errors.ValuesError) as caught:
        loading.load_text(text, source="values/prod.yaml")
    message = str(caught.value)
    assert "values/prod.yaml:4:5: ports[0].port: duplicate key (first set on line 3)" in message


def test_aliases_that_expand_without_end_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A "billion laughs" values file would eat all memory of the CI runner."""
    monkeypatch.setattr(loading, "MAX_NODES", 20_000)  # the real limit behaves the same, only slower
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 8)]
    with pytest.raises(errors.ValuesError, match="expands to more than"):
        loading.load_text("\n".join(lines) + "\n", source="laughs.yaml")


def test_a_recursive_anchor_is_refused() -> None:
    """A self-referencing anchor would crash with RecursionError."""
    with pytest.raises(errors.ValuesError, match="recursive anchor"):
        loading.load_text("a: &a\n  b: *a\n", source="loop.yaml")


def test_binary_values_are_refused_with_their_path() -> None:
    """A `!!binary` value would reach templates as bytes and break rendering far from the cause."""
    with pytest.raises(errors.ValuesError, match=r"v.yaml:2:8: tls.key: !!binary values are not supported"):
        loading.load_text("tls:\n  key: !!binary aGVsbG8=\n", source="v.yaml")


def test_a_secret_layer_never_shows_its_data_in_repr() -> None:
    """Logging a layer would print decrypted passwords."""
    layer = loading.load_text("password: hunter2-secret\n", source="secrets.yaml", secret=True)
    assert "hunter2-secret" not in repr(layer)
    assert "secrets.yaml" in repr(layer)


def test_load_mapping_copies_its_input() -> None:
    """Changing the caller's dict afterwards would change values already composed."""
    original = {"image": {"tag": "1"}, "args": ["a"]}
    layer = loading.load_mapping(original, source="chart web defaults")
    original["image"]["tag"] = "2"
    original["args"].append("b")
    assert layer.data == {"image": {"tag": "1"}, "args": ["a"]}


def test_load_mapping_refuses_values_that_are_not_json_like() -> None:
    """A Python object in values would break schema checks, records and rendering later on."""
    with pytest.raises(errors.ValuesError, match=r"chart x defaults: image.tag holds a set"):
        loading.load_mapping({"image": {"tag": {1, 2}}}, source="chart x defaults")


def test_load_mapping_refuses_non_string_keys() -> None:
    """Int keys would make JSON records and schema paths inconsistent."""
    with pytest.raises(errors.ValuesError, match="keys must be strings"):
        loading.load_mapping({"codes": {404: "missing"}}, source="api")


def test_line_of_finds_where_a_path_is_written() -> None:
    """Schema errors could not point at the line of the offending keyword."""
    text = '{\n  "properties": {\n    "port": {"type": "integr"}\n  }\n}\n'
    assert loading.line_of(text, ("properties", "port", "type")) == 2
    assert loading.line_of(text, ("properties", "missing")) is None


def test_deeply_nested_brackets_are_refused_instead_of_crashing() -> None:
    """Thousands of nested `[` would crash the interpreter inside libyaml (a segfault in CI)."""
    with pytest.raises(errors.ValuesError, match=r"deep.yaml:2: nested deeper than 200 levels"):
        loading.load_text("ok: 1\na: " + "[" * 100_000 + "]" * 100_000 + "\n", source="deep.yaml")


def test_many_flat_brackets_are_fine() -> None:
    """A large values file with many short lists would be refused as "too deep"."""
    layer = loading.load_text("".join(f"k{i}: [1, {{a: 2}}]\n" for i in range(300)), source="flat.yaml")
    assert layer.data["k299"] == [1, {"a": 2}]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: !!int abc\n", r"t.yaml:1:4: a: cannot read this !!int value"),
        ("a:\n  <<: 1\n", r"t.yaml:2:7: a: a `<<` merge key takes a mapping"),
        ("? [a]\n: 1\n", r"t.yaml:1:3: a mapping key must be a plain scalar"),
    ],
)
def test_yaml_that_parses_but_is_not_values_is_located(text: str, expected: str) -> None:
    """An odd tag, merge key or complex key would crash with a Python error instead of a located one."""
    with pytest.raises(errors.ValuesError, match=expected):
        loading.load_text(text, source="t.yaml")


def test_json_nested_without_end_is_refused(tmp_path: Path) -> None:
    """A generated JSON file nested thousands deep would crash with RecursionError."""
    path = _write(tmp_path, "values.json", '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(errors.ValuesError, match="values.json: JSON nested too deeply"):
        loading.load_file(path)


def test_load_mapping_refuses_a_non_mapping() -> None:
    """A caller passing a list as values would get a confusing failure at merge time."""
    with pytest.raises(errors.ValuesError, match="api: values must be a mapping, got a list"):
        loading.load_mapping(["a"], source="api")  # type: ignore[arg-type]


def test_load_mapping_of_plain_data_builds_no_value_paths(monkeypatch) -> None:
    """Every render would spend milliseconds building the path of each chart default it copies, for no error."""
    walked = []
    checked_copy = loading._checked_copy

    def counting(value, path, *, source):
        walked.append(path)
        return checked_copy(value, path, source=source)

    monkeypatch.setattr(loading, "_checked_copy", counting)
    data = {"apps": {f"app{i}": {"env": {"A": "1"}, "ports": [80, {"name": "http"}], "tag": None, "on": 1.5} for i in range(5)}}
    assert loading.load_mapping(data, source="chart web defaults").data == data
    assert walked == [()]


@pytest.mark.parametrize("data, plain", [
    ({"a": (1, {"b": (2,)})}, {"a": [1, {"b": [2]}]}),
    ({"a": types.MappingProxyType({"b": [types.MappingProxyType({"c": 1})]})}, {"a": {"b": [{"c": 1}]}}),
])
def test_load_mapping_turns_tuples_and_other_mappings_into_lists_and_dicts(data, plain) -> None:
    """Values given as tuples or read-only mappings (the Python API) would be refused or kept unconverted."""
    layer = loading.load_mapping(data, source="api")
    assert layer.data == plain
    assert type(layer.data["a"]) in (list, dict) and all(type(v) is not tuple for v in layer.data["a"])


def test_load_mapping_names_the_path_of_a_bad_value_under_lists() -> None:
    """A Python object deep in values would be refused without saying where it is."""
    with pytest.raises(errors.ValuesError, match=r"chart x defaults: ports\[1\].name holds a set"):
        loading.load_mapping({"ports": [{"name": "a"}, {"name": {1}}]}, source="chart x defaults")

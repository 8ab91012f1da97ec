"""deploykit's values against Helm 4's own code: `--set` parsing and the values every chart of a tree sees.

Helm's side runs in helm-python-sdk (Helm's Go SDK through a shared library).
It exposes Helm's strvals parsers (`--set`, `--set-string`, `--set-json`,
`--set-literal`), `values_from_yaml` for `-f` files and chart rendering with a
values map, which coalesces chart and subchart defaults, conditions, tags,
globals and null deletions in Helm's engine. It does not expose the CLI's
`values.Options.MergeValues`, which folds the `-f` files and flags into that
map, so `helm_user_values` below does that fold as MergeValues does: files
merged with Helm's `mergeMaps` (a plain recursive merge, nulls kept), a
`--set-json` that is one whole object merged the same way, and every other
flag parsed by Helm's parser and merged. MergeValues parses flags *into* the
map (strvals.ParseInto), which gives the same map as merging the parsed flag,
except for a list index over a list from a file and a `--set-json` object
value over a mapping: the corpus keeps those apart (the parse corpus covers
them). Each chart of the Helm chart prints `{{ .Values | toJson }}`;
deploykit's side is the values its templates see (the resolved chart tree).

Any difference fails, unless it is in `DELIBERATE` with the words that
document it in docs/charts.md ("Differences from Helm, on purpose"). YAML
files here hold plainly typed scalars only: YAML typing (`yes`, `1e3`,
dates) is tested with the YAML loader.
"""

from __future__ import annotations

import itertools
import json
import re
import string
import textwrap
from pathlib import Path
from typing import Any

import helm_python as helm
import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from deploykit import errors
from deploykit.release import rendering
from deploykit.release.inputs import RenderOptions
from deploykit.values import setting
from tests.plugins.charts import REPO, write_chart

DOCS = (REPO / "docs" / "charts.md").read_text()
DELIBERATE_SECTION = " ".join(DOCS.split("## Differences from Helm, on purpose", 1)[1].split())

# Where deploykit differs from Helm on purpose: case -> the words in docs/charts.md that say so and why.
DELIBERATE = {
    "empty list": "`--set a={}` is an empty list",
    "refused": "is refused with the position of the mistake",
    "list edit": "`--set a[1]=x` edits the list composed so far",
    "null kept": "A key set to `null` is absent",
    "layer order": "a `null` deletes what is below it at that point",
    "empty last value": "`--set list[0].key=` at the end of the expression sets an empty string",
    "binary file": "A `--set-file` that is not UTF-8 text is refused",
}

PARSERS = {
    "set": helm.parse_set_string,
    "string": helm.parse_set_string_values,
    "literal": helm.parse_set_literal,
}


def helm_parse(expression: str, kind: str) -> Any:
    """Helm's map for one flag, or "error"; a whole-object --set-json is MergeValues' own branch (json.Unmarshal)."""
    try:
        if kind == "json":
            if expression.strip().startswith("{"):
                parsed = json.loads(expression)
                return parsed if isinstance(parsed, dict) else "error"
            return helm.parse_set_json(expression)
        return PARSERS[kind](expression)
    except (helm.HelmError, ValueError):
        return "error"


def deploykit_parse(expression: str, kind: str) -> Any:
    try:
        return setting.parse_set(expression, kind=kind).data  # type: ignore[arg-type]
    except errors.ValuesError:
        return "error"


def parse_difference(expression: str, kind: str) -> str | None:
    """None when both parsers agree; else the DELIBERATE key that explains it; else a description that fails."""
    ours, helms = deploykit_parse(expression, kind), helm_parse(expression, kind)
    if ours == helms:
        return None
    if ours == "error":
        # Helm drops what it cannot read (`=1`, `a[0]`, a trailing `\`); deploykit says where the mistake is.
        return "refused"
    if kind in ("set", "string") and expression.endswith("=") and helm_parse(expression + ",", kind) == ours:
        return "empty last value"
    if kind in ("set", "string") and re.search(r"(^|[^\\])=\{\}", expression) and ours == _empty_lists_as_helm(helms):
        return "empty list"
    return f"{kind} {expression!r}: deploykit {ours!r}, Helm {helms!r}"


def _empty_lists_as_helm(value: Any) -> Any:
    if value == [""]:
        return []
    if isinstance(value, dict):
        return {key: _empty_lists_as_helm(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_empty_lists_as_helm(item) for item in value]
    return value


# --- the parse corpus -------------------------------------------------------------------------

HAND_WRITTEN = [
    ("set", "a=1,b.c=two,ports={80,443}"),
    ("set", "name1=null,f=false,t=TRUE,z=0,neg=-5,plus=+5,big=9223372036854775808,lead=007,e=1e3,hex=0x1"),
    ("set", "a\\[0]=1"),
    ("set", "a\\.b=1,c\\,d=2,e\\=f=3,g\\\\h=4"),
    ("set", "a]=1,b]c=2"),
    ("set", "a=x\\,y\\=z\\[0]\\\\w,b=x\\y"),
    ("set", "list[0]=foo,list[3]=bar,deep[0][1]=x,maps[1].k=v,maps[1].j=w"),
    ("set", "a={x\\,y,z},b={1,true,null}"),
    ("set", "a=1,a=2,b={1},b={2,3}"),
    ("set", "a.b=,c=,trailing=1,"),
    ("set", "a=b=c,spaces= x ,url=http://x/?a=b"),
    ("set", "a={}"),
    ("set", "=1"),
    ("set", ".a=1"),
    ("set", "noval[0]"),
    ("set", "a=x\\"),
    ("set", "a[ 1]=x"),
    ("set", "a[0].b="),
    ("set", "a=1,a.b=2"),
    ("string", "port=80,on=true,n=null,l={1,2}"),
    ("literal", "sql=select a, b from t where c=1"),
    ("literal", "a,b=1"),
    ("literal", "a\\.b=x\\,y"),
    ("literal", "a.b[1].c={1,2}"),
    ("json", 'ports=[{"port":80}],debug=true,name="7",empty='),
    ("json", '{"a": 2, "b": {"c": [1, null]}}'),
    ("json", ' {"a": 2} '),
    ("json", "a.b[1]={\"c\":1}"),
    ("json", '{"a":2},b=3'),
    ("json", "[1,2]"),
]


@pytest.mark.parametrize(("kind", "expression"), HAND_WRITTEN)
def test_hand_written_flags_parse_as_helm_parses_them(kind: str, expression: str) -> None:
    """A --set edge case (escapes, typing, lists, whole-object JSON) would give other values than Helm's."""
    difference = parse_difference(expression, kind)
    assert difference is None or difference in DELIBERATE, difference


def test_a_binary_set_file_is_refused_where_helm_mangles_it(tmp_path: Path) -> None:
    """A binary --set-file would reach templates as mangled text (Helm's behaviour) instead of a clear error."""
    (tmp_path / "cert.der").write_bytes(b"0\x82\x01")
    assert "\ufffd" in helm.parse_set_file(f"cert={tmp_path / 'cert.der'}")["cert"]
    assert deploykit_parse(f"cert={tmp_path / 'cert.der'}", "file") == "error"
    assert DELIBERATE["binary file"] in DELIBERATE_SECTION


KEY_CHARS = st.sampled_from([*"ab_-/ 0", "\\.", "\\,", "\\=", "\\[", "\\\\", "]"])
VALUE_TOKENS = st.sampled_from(
    ["1", "0", "-3", "+4", "007", "12345678901234567890", "true", "FALSE", "null", "Null", "x", "a b", "1e3", "1.5",
     "0x1", "\\,", "\\=", "\\\\", "\\{", "=", ".", "[", "]", "}", ":", "~"]
)

LIST_ITEM_TOKENS = VALUE_TOKENS.filter(lambda token: not set(token) & set(",}\\"))


def joined(pieces: st.SearchStrategy[str], *, min_size: int = 0, max_size: int) -> st.SearchStrategy[str]:
    """Text made of a few pieces (escapes and words count as one)."""
    return st.lists(pieces, min_size=min_size, max_size=max_size).map("".join)


@st.composite
def set_expressions(draw: st.DrawFn, prefix: str = "") -> str:
    """Well-formed --set expressions: escaped keys, indices, lists, Helm's typing, several assignments."""
    assignments = []
    for _ in range(draw(st.integers(1, 3))):
        path = prefix + draw(joined(KEY_CHARS, min_size=1, max_size=3).filter(lambda k: k[0] != "]"))
        for _ in range(draw(st.integers(0, 2))):
            if draw(st.booleans()):
                path += f"[{draw(st.integers(0, 2))}]"
            path += "." + draw(joined(KEY_CHARS, min_size=1, max_size=2).filter(lambda k: k[0] != "]"))
        if draw(st.integers(0, 3)) == 0:
            items = draw(st.lists(joined(LIST_ITEM_TOKENS, max_size=2), min_size=1, max_size=3))
            value = "{" + ",".join(items) + "}" if any(items) else "{x}"
        else:
            value = draw(joined(VALUE_TOKENS, max_size=3))
        assignments.append(f"{path}={value}")
    # A trailing comma after an empty last value: without it Helm drops a list element ("empty last value").
    return ",".join(assignments) + ("," if assignments[-1].endswith("=") else "")


@settings(max_examples=120)
@given(set_expressions(), st.sampled_from(["set", "string"]))
def test_generated_set_expressions_parse_as_helm_parses_them(expression: str, kind: str) -> None:
    """Some well-formed --set would give other values than Helm's, or be refused though Helm reads it."""
    try:
        ours = setting.parse_set(expression, kind=kind).data  # type: ignore[arg-type]
    except errors.ValuesError as exc:
        # Well-formed, but assigning inside a value the same expression set (`a={x},a[0].b=1`): refused on purpose.
        assert "this expression already made it" in exc.message, exc.message
        return
    assert ours == helm_parse(expression, kind), f"{kind} {expression!r}"


@settings(max_examples=150)
@given(joined(st.sampled_from([*"ab.,=[]{}\\01 ", "null", "true", '"', ":"]), min_size=1, max_size=10),
       st.sampled_from(["set", "string", "literal", "json"]))
def test_any_flag_either_parses_as_in_helm_or_is_refused(expression: str, kind: str) -> None:
    """deploykit would read some text differently from Helm instead of refusing it with a clear error."""
    difference = parse_difference(expression, kind)
    assert difference is None or difference in DELIBERATE, difference


@settings(max_examples=60)
@given(st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10, 10), st.text(string.ascii_letters + " ,=.[]{}\\", max_size=4)),
    lambda children: st.one_of(st.lists(children, max_size=3), st.dictionaries(st.sampled_from("abc"), children, max_size=3)),
    max_leaves=6,
), st.booleans())
def test_generated_set_json_parses_as_helm_parses_it(value: Any, whole: bool) -> None:
    """Some --set-json value (or whole object) would give other values than Helm's."""
    expression = json.dumps({"k": value}) if whole else f"k.v={json.dumps(value)}"
    assert deploykit_parse(expression, "json") == helm_parse(expression, "json")


# --- the composition corpus --------------------------------------------------------------------

SHARED_FILES = {
    "Chart.yaml": """
        apiVersion: v2
        name: app
        version: 1.0.0
        dependencies:
          - name: sub
            version: 1.0.0
          - name: opt
            version: 1.0.0
            condition: opt.enabled
          - name: tagged
            version: 1.0.0
            tags: [extra]
    """,
    "values.yaml": """
        name: app
        replicas: 1
        items: [1, 2, 3]
        nested: {a: 1, b: {c: 2, d: 3}}
        global: {region: eu, shared: {x: 1}}
        opt: {mine: 1}
        sub: {fromParent: 1}
        tags: {extra: false}
    """,
    "charts/sub/Chart.yaml": "apiVersion: v2\nname: sub\nversion: 1.0.0\ndependencies:\n  - name: deep\n    version: 1.0.0\n",
    "charts/sub/values.yaml": """
        resources: {limits: {cpu: 1}, requests: {cpu: 2}}
        inner: {deep: {a: 1, b: 2}}
        items: [a, b]
        global: {own: 1, shared: {sy: 2}}
        deep: {fromSub: 1}
    """,
    "charts/sub/charts/deep/Chart.yaml": "apiVersion: v2\nname: deep\nversion: 1.0.0\n",
    "charts/sub/charts/deep/values.yaml": "level: 2\nkeep: 1\n",
    "charts/opt/Chart.yaml": "apiVersion: v2\nname: opt\nversion: 1.0.0\n",
    "charts/opt/values.yaml": "enabled: false\ndefault: 3\nglobal: {optOwn: 1}\n",
    "charts/tagged/Chart.yaml": "apiVersion: v2\nname: tagged\nversion: 1.0.0\n",
    "charts/tagged/values.yaml": "size: 10\n",
}
CHART_FOLDERS = ["", "charts/sub/", "charts/sub/charts/deep/", "charts/opt/", "charts/tagged/"]


@pytest.fixture(scope="module")
def charts(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same chart twice: for deploykit (no templates needed) and for Helm (every chart prints its .Values)."""
    root = tmp_path_factory.mktemp("parity")
    ours = write_chart(root / "deploykit" / "app", SHARED_FILES)
    theirs = write_chart(root / "helm" / "app", {
        **SHARED_FILES, **{f"{folder}templates/values.json": "{{ .Values | toJson }}" for folder in CHART_FOLDERS},
    })
    return ours, theirs


def merge_maps(base: dict, overlay: dict) -> dict:
    """Helm's mergeMaps (pkg/cli/values): maps merge recursively, anything else replaces, nulls stay."""
    merged = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_maps(merged[key], value)
        else:
            merged[key] = value
    return merged


def helm_user_values(files: list[str], flags: list[tuple[str, str]], base_dir: Path) -> dict:
    """The map MergeValues builds: -f files in order, then --set-json, --set, --set-string, --set-file, --set-literal."""
    values: dict = {}
    for text in files:
        values = merge_maps(values, helm.values_from_yaml(text))
    order = ["json", "set", "string", "file", "literal"]
    for kind, expression in sorted(flags, key=lambda flag: order.index(flag[0])):
        if kind == "file":
            key, _, path = expression.partition("=")
            parsed = helm.parse_set_file(f"{key}={base_dir / path}")
        else:
            parsed = helm_parse(expression, kind)
            assert parsed != "error", f"Helm refuses {kind} {expression!r}"
        values = merge_maps(values, parsed)
    return values


_counter = itertools.count()


def seen_by_each_chart(charts: tuple[Path, Path], files: list[str], flags: list[tuple[str, str]], tmp: Path) -> tuple[dict, dict]:
    """(deploykit, Helm): the values each enabled chart's templates see, by chart folder."""
    ours_chart, helm_chart = charts
    paths = []
    for text in files:
        path = tmp / f"values-{next(_counter)}.yaml"
        path.write_text(text)
        paths.append(str(path))
    by_kind: dict[str, tuple[str, ...]] = {}
    for kind, expression in flags:
        if kind == "file":
            key, _, name = expression.partition("=")
            expression = f"{key}={tmp / name}"
        by_kind[kind] = (*by_kind.get(kind, ()), expression)
    result = rendering.render(RenderOptions(
        chart=str(ours_chart), values_files=tuple(paths), set_values=by_kind.get("set", ()),
        set_strings=by_kind.get("string", ()), set_files=by_kind.get("file", ()), set_json=by_kind.get("json", ()),
        set_literals=by_kind.get("literal", ()),
    ))
    ours = {node.prefix.removeprefix("app").lstrip("/") + ("/" if node.prefix != "app" else ""): node.values
            for node in result.tree.walk()}
    # A fresh load per render: Helm's render drops switched-off subcharts from the loaded chart (a few ms).
    with helm.Chart.load(helm_chart) as loaded:
        rendered = loaded.render(values=helm_user_values(files, flags, tmp))
    theirs = {name.removeprefix("app/").removesuffix("templates/values.json"): json.loads(text)
              for name, text in rendered.items()}
    return ours, theirs


COMPOSITION_CASES = {
    "chart defaults only": ([], []),
    "-f files in order, maps merge, lists replace": (
        ["replicas: 2\nnested: {b: {c: 20}}\nitems: [9]\nsub: {items: [x]}\n", "replicas: 3\nnested: {b: {e: 5}}\n"],
        [],
    ),
    "null in a file deletes a root default": (["nested: {b: {c: null}}\nname: null\n"], []),
    "--set null deletes a subchart default": ([], [("set", "sub.resources.limits=null")]),
    "null in a file deletes a subchart default": (["sub: {inner: {deep: {a: null}}}\n"], []),
    "null deletes a grandchild default": ([], [("set", "sub.deep.level=null")]),
    "condition switches a subchart on": ([], [("set", "opt.enabled=true")]),
    "tags switch a subchart on": ([], [("set", "tags.extra=true")]),
    "globals reach subcharts and grandchildren": ([], [("set", "global.region=us,global.shared.z=3,sub.global.own=5")]),
    "--set-json whole object": ([], [("json", '{"nested": {"b": {"e": 5}}, "sub": {"deep": {"keep": 7}}}')]),
    "every flag kind in Helm's order": (
        ["replicas: 2\n"],
        [("literal", "name=a,b\\c"), ("file", "note=note.txt"), ("string", "replicas=3,name=s"), ("set", "replicas=4,flag=true"),
         ("json", 'replicas=5,config={"k":[1,2]}')],
    ),
    "--set list over a file list": (["items: [7, 8]\n"], [("set", "items={4,5}")]),
    "index into a list only the flag sets": ([], [("set", "ports[1].port=80,ports[1].name=http")]),
}

DELIBERATE_COMPOSITION = {
    "--set index into a chart-default list": ([], [("set", "items[1]=9")], "list edit"),
    "null over a key no default has": (["extra: {a: 1}\n"], [("set", "extra.a=null,other=null")], "null kept"),
    "null in a file, then a later --set under it": (["nested: null\n"], [("set", "nested.z=1")], "layer order"),
}


@pytest.mark.parametrize("case", COMPOSITION_CASES)
def test_each_chart_sees_the_values_helm_gives_it(charts, tmp_path: Path, case: str) -> None:
    """Some chart of the tree would see other values than Helm gives it for the same -f files and flags."""
    (tmp_path / "note.txt").write_text("line one\r\nline two\n")
    files, flags = COMPOSITION_CASES[case]
    ours, theirs = seen_by_each_chart(charts, files, flags, tmp_path)
    assert ours == theirs


@pytest.mark.parametrize("case", DELIBERATE_COMPOSITION)
def test_deliberate_differences_still_differ_and_are_documented(charts, tmp_path: Path, case: str) -> None:
    """docs/charts.md would list a difference from Helm that no longer exists, or fail to explain one that does."""
    files, flags, reason = DELIBERATE_COMPOSITION[case]
    ours, theirs = seen_by_each_chart(charts, files, flags, tmp_path)
    assert ours != theirs
    assert DELIBERATE[reason] in DELIBERATE_SECTION


def test_every_deliberate_difference_is_explained_in_the_docs() -> None:
    """A difference from Helm would be accepted here without docs/charts.md saying so and why."""
    assert [reason for reason, words in DELIBERATE.items() if words not in DELIBERATE_SECTION] == []


PLAIN_SCALARS = st.one_of(st.integers(-100, 100), st.booleans(), st.sampled_from(["x", "hello", "a b", "eu"]))
USER_KEYS = st.sampled_from(["replicas", "name", "nested", "a", "b"])
USER_TREES = st.recursive(
    PLAIN_SCALARS,
    lambda children: st.dictionaries(USER_KEYS, st.one_of(children, st.none()), max_size=3),
    max_leaves=6,
)
SECTION_TREES = st.dictionaries(
    st.sampled_from(["nested", "items", "sub", "opt", "global", "a"]),
    st.one_of(st.none(), st.lists(PLAIN_SCALARS, max_size=2), st.dictionaries(USER_KEYS, st.one_of(USER_TREES, st.none()), max_size=3)),
    max_size=3,
).map(lambda tree: {key: ({} if key in ("sub", "opt", "global") and not isinstance(value, dict) else value)
                    for key, value in tree.items()})


def without_null_keys(value: Any) -> Any:
    """Helm's values with the nulls it keeps for keys no default has removed (deliberate: "null kept").

    Lists are left as they are: both keep a null inside a list, also under a key of a list element
    (`--set a[0].b=null` gives `a: [{b: null}]`), since lists replace and are never merged.
    """
    if isinstance(value, dict):
        return {key: without_null_keys(item) for key, item in value.items() if item is not None}
    return value


def without_nulls(tree: Any) -> Any:
    if isinstance(tree, dict):
        return {key: without_nulls(item) for key, item in tree.items() if item is not None}
    return tree


def _defaults(name: str) -> dict:
    return yaml.safe_load(textwrap.dedent(SHARED_FILES[f"{name}values.yaml"]))


# Every chart's defaults where its values live in the root's: the mappings a generated file must not replace.
DEFAULT_TREE = {
    **_defaults(""),
    "sub": {**_defaults("charts/sub/"), **_defaults("")["sub"],
            "deep": {**_defaults("charts/sub/charts/deep/"), **_defaults("charts/sub/")["deep"]}},
    "opt": {**_defaults("charts/opt/"), **_defaults("")["opt"]},
    "tagged": _defaults("charts/tagged/"),
}


def keeping_default_mappings(tree: dict, defaults: dict = DEFAULT_TREE) -> dict:
    """`tree` with a mapping (empty) wherever it replaced a default mapping with a list or scalar.

    Such a replacement followed by a later mapping is the deliberate "layer order" difference.
    """
    conformed = {}
    for key, value in tree.items():
        default = defaults.get(key)
        if isinstance(default, dict) and value is not None:
            value = keeping_default_mappings(value, default) if isinstance(value, dict) else {}
        conformed[key] = value
    return conformed


@settings(max_examples=30)
@example(trees=[{}], sets=["flag.a.a[0].a=null"])
@example(trees=[{}], sets=["flag.a[1].b=null,flag.a[1].c=1"])
@example(trees=[{}], sets=["flag.a[0].b.c=null,flag.a[0].b.d=2"])
@example(trees=[{}], sets=["flag.a[0][1].b=null"])
@example(trees=[{"nested": {"b": None}}], sets=["flag.a[0]=null,flag.b[0].c={1,null}"])
@given(st.lists(SECTION_TREES, min_size=1, max_size=3), st.lists(set_expressions(prefix="flag."), max_size=1))
def test_generated_files_and_flags_give_the_values_helm_gives(charts, tmp_path_factory, trees: list[dict], sets: list[str]) -> None:
    """Some mix of -f files (with nulls, over chart and subchart defaults) and --set would compose differently from Helm.

    Nulls sit in the last file only, and no file replaces a default mapping with a list or scalar (a later
    layer under such a replacement is the deliberate "layer order" difference); the flags write under `flag.`
    (see the module docstring on list indices over file lists).
    """
    tmp = tmp_path_factory.mktemp("generated", numbered=True)
    trees = [keeping_default_mappings(tree) for tree in trees]
    files = [yaml.safe_dump(without_nulls(tree)) for tree in trees[:-1]] + [yaml.safe_dump(trees[-1])]
    flags = [("set", expression) for expression in sets if deploykit_parse(expression, "set") != "error"]
    ours, theirs = seen_by_each_chart(charts, files, flags, tmp)
    assert ours == {folder: without_null_keys(values) for folder, values in theirs.items()}

"""Chart.yaml: every field problem is reported with its file, line and field."""

import textwrap

import pytest

from deploykit.charts import metadata


def parse(text: str, **kwargs):
    return metadata.parse(textwrap.dedent(text).lstrip("\n"), source="web/Chart.yaml", **kwargs)


def test_valid_chart_yaml_gives_metadata_and_no_problems():
    """A correct chart would be refused or lose its dependencies."""
    meta, found = parse(
        """
        apiVersion: v2
        name: web
        version: 1.2.0
        appVersion: "1.4"
        kubeVersion: ">= 1.25.0-0"
        dependencies:
          - name: common
            version: ^1.0.0
            repository: file://../common
            alias: lib
            condition: lib.enabled,global.lib.enabled
            tags: [backend]
            import-values:
              - data
              - child: default.data
                parent: imported
        """
    )
    assert found == []
    assert (meta.name, meta.version, meta.app_version, meta.type) == ("web", "1.2.0", "1.4", "application")
    dependency = meta.dependencies[0]
    assert dependency.key == "lib"
    assert dependency.tags == ("backend",)
    assert [(i.child, i.parent) for i in dependency.import_values] == [("exports.data", ""), ("default.data", "imported")]


def test_every_problem_is_reported_with_its_line():
    """A user fixing Chart.yaml would discover problems one run at a time."""
    meta, found = parse(
        """
        apiVersion: v2
        name: "bad name"
        version: banana
        type: service
        kubeVersion: ">= one"
        """
    )
    assert meta is None
    described = {(p.line, p.message.split(":")[0]) for p in found}
    assert described == {(2, "name"), (3, "version"), (4, "type"), (5, "kubeVersion")}
    assert all(p.file == "web/Chart.yaml" for p in found)


def test_numeric_version_is_refused_with_a_quoting_hint():
    """`version: 1.10` would silently become 1.1."""
    _, found = parse("apiVersion: v2\nname: web\nversion: 1.10\n")
    assert "YAML read 1.1 as a number" in found[0].message
    assert found[0].hint == 'write version: "1.10.0"'


@pytest.mark.parametrize(
    ("dependencies", "field"),
    [
        ("- version: 1.0.0", "dependencies[0].name"),
        ("- name: a\n  alias: 'no spaces'", "dependencies[0].alias"),
        ("- name: a\n  version: '>> 1'", "dependencies[0].version"),
        ("- name: a\n  tags: backend", "dependencies[0].tags"),
        ("- name: a\n  import-values: [{child: x}]", "dependencies[0].import-values[0]"),
        ("- name: a\n- name: a", "dependencies[1]"),
    ],
)
def test_bad_dependency_entry_names_its_field(dependencies, field):
    """A broken dependency entry would be ignored or reported without saying which one."""
    text = "apiVersion: v2\nname: web\nversion: 1.0.0\ndependencies:\n" + textwrap.indent(dependencies, "  ") + "\n"
    _, found = metadata.parse(text, source="web/Chart.yaml")
    assert any(p.message.startswith(field) for p in found), found


def test_v1_chart_reads_dependencies_from_requirements_yaml():
    """Old charts (apiVersion v1) would lose their dependencies."""
    meta, found = parse(
        "apiVersion: v1\nname: old\nversion: 0.1.0\n",
        requirements="dependencies:\n  - name: redis\n    version: 1.x\n",
    )
    assert found == []
    assert [d.name for d in meta.dependencies] == ["redis"]


def test_library_needs_api_version_v2():
    """A v1 chart could claim to be a library, which Helm refuses."""
    _, found = parse("apiVersion: v1\nname: old\nversion: 0.1.0\ntype: library\n")
    assert [p.message for p in found] == ["type: library charts need apiVersion v2"]


def test_not_a_mapping_is_an_error():
    """A Chart.yaml holding a list would crash the loader."""
    meta, found = parse("- a\n- b\n")
    assert meta is None and "must be a mapping" in found[0].message


def test_invalid_yaml_names_the_line():
    """A YAML typo in Chart.yaml would give a traceback instead of a line."""
    _, found = parse("apiVersion: v2\nname: [web\nversion: 1.0.0\n")
    assert found[0].line is not None and "not valid YAML" in found[0].message


def test_kube_version_check_against_target():
    """A chart made for old clusters would render for a cluster it does not support."""
    meta, _ = parse('apiVersion: v2\nname: web\nversion: 1.0.0\nkubeVersion: "<1.24.0"\n')
    assert metadata.kube_version_problem(meta, "v1.37.0").startswith("kubeVersion: the chart requires Kubernetes")
    assert metadata.kube_version_problem(meta, "v1.23.4") is None


@pytest.mark.parametrize(("written", "helm"), [("08", "8"), ("1.0", "1"), ("1e3", "1000"), ("0x1F", "31"), ("1:30", "1:30")])
def test_a_number_in_a_string_field_is_spelt_as_helm_spells_it(written, helm):
    """`appVersion: 1.0` would label objects app.kubernetes.io/version "1.0" where Helm writes "1" (08: "08" vs "8")."""
    meta, found = parse(f"apiVersion: v2\nname: web\nversion: 1.0.0\nappVersion: {written}\n")
    assert found == [] and meta.app_version == helm

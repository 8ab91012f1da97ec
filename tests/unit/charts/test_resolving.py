"""Subchart values: scoping, globals, condition, tags, alias and import-values, as Helm does them."""

import pytest

from deploykit import errors
from deploykit.charts import loading, resolving
from deploykit.values import merging
from tests.plugins.charts import write_chart


@pytest.fixture
def parent(tmp_path):
    """web depends on redis (condition), db aliased as primary (tags), lib with exports."""
    write_chart(tmp_path / "web", {
        "Chart.yaml": """
            apiVersion: v2
            name: web
            version: 1.0.0
            dependencies:
              - name: redis
                condition: redis.enabled,global.redis.enabled
              - name: db
                alias: primary
                tags: [storage]
              - name: lib
                import-values:
                  - data
                  - child: settings.deep
                    parent: fromLib
        """,
        "values.yaml": "global:\n  env: prod\nredis:\n  port: 6380\nfromLib:\n  mine: kept\n",
        "charts/redis/Chart.yaml": "apiVersion: v2\nname: redis\nversion: 1.0.0\n",
        "charts/redis/values.yaml": "enabled: true\nport: 6379\nglobal:\n  env: dev\n  own: yes\n",
        "charts/db/Chart.yaml": "apiVersion: v2\nname: db\nversion: 1.0.0\n",
        "charts/db/values.yaml": "size: 10Gi\n",
        "charts/lib/Chart.yaml": "apiVersion: v2\nname: lib\nversion: 1.0.0\n",
        "charts/lib/values.yaml": "exports:\n  data:\n    exported: 1\nsettings:\n  deep:\n    mine: theirs\n    other: 2\n",
    })
    return loading.load_chart(tmp_path / "web")


def resolve(chart, values=None):
    return resolving.resolve(chart, merging.merge(chart.values, values or {}), merge=merging.merge)


def nodes(tree):
    return {node.prefix: node for node in tree.walk()}


def test_subchart_sees_its_section_over_its_defaults_and_the_parents_globals(parent):
    """A subchart would see its defaults instead of what the parent set, or lose globals."""
    redis = nodes(resolve(parent))["web/charts/redis"]
    assert redis.values["port"] == 6380
    assert redis.values["global"] == {"env": "prod", "own": True}
    assert redis.value_path == ("redis",)


def test_parent_templates_see_the_subchart_defaults(parent):
    """`Values.primary.size` in the parent would be undefined though the subchart defines it."""
    assert resolve(parent).values["primary"]["size"] == "10Gi"


def test_condition_false_disables_the_subchart(parent):
    """`redis.enabled: false` would still deploy redis."""
    assert "web/charts/redis" not in nodes(resolve(parent, {"redis": {"enabled": False}}))


def test_first_condition_path_that_exists_wins(parent):
    """A global switch would override the chart's own setting (or the reverse)."""
    values = {"redis": {"enabled": True}, "global": {"redis": {"enabled": False}}}
    assert "web/charts/redis" in nodes(resolve(parent, values))


def test_non_boolean_condition_is_ignored_with_a_warning(parent):
    """`redis.enabled: "false"` (a string) would silently be treated as true."""
    report = []
    tree = resolving.resolve(parent, merging.merge(parent.values, {"redis": {"enabled": "false"}}), merge=merging.merge, report=report)
    assert "web/charts/redis" in nodes(tree)
    assert "condition: redis.enabled is str, not a boolean" in report[0].message


def test_tags_switch_subcharts_and_the_alias_names_them(parent):
    """`tags.storage: false` would not remove the storage subchart."""
    assert "web/charts/primary" in nodes(resolve(parent))
    assert "web/charts/primary" not in nodes(resolve(parent, {"tags": {"storage": False}}))


def test_import_values_child_and_parent_forms(parent):
    """Values a library exports would not reach the parent, or would override its own."""
    values = resolve(parent).values
    assert values["exported"] == 1
    assert values["fromLib"] == {"mine": "kept", "other": 2}


def test_subchart_section_that_is_not_a_mapping_is_an_error(parent):
    """`redis: true` would crash with a TypeError."""
    with pytest.raises(errors.ValuesError, match="Values.redis must be a mapping"):
        resolve(parent, {"redis": True})


def test_imports_name_enabled_dependencies_by_key(parent):
    """`{% import "primary/..." %}` would not find the aliased dependency."""
    assert sorted(resolve(parent).imports) == ["lib", "primary", "redis"]

"""Subchart values after composing the user's inputs: null deletions and switched-off subcharts, as Helm does them."""

from pathlib import Path

import pytest

from deploykit.release import rendering
from deploykit.release.inputs import RenderOptions
from tests.plugins.charts import write_chart


@pytest.fixture
def parent(tmp_path: Path) -> Path:
    """app depends on sub (always on) and opt (off by its condition, which opt's own defaults switch on)."""
    return write_chart(tmp_path / "app", {
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
        "values.yaml": "opt:\n  enabled: false\n  mine: 1\ntags:\n  extra: false\n",
        "charts/sub/Chart.yaml": "apiVersion: v2\nname: sub\nversion: 1.0.0\n",
        "charts/sub/values.yaml": "resources:\n  limits:\n    cpu: 1\n  requests:\n    cpu: 2\ninner:\n  deep: {a: 1, b: 2}\n",
        "charts/opt/Chart.yaml": "apiVersion: v2\nname: opt\nversion: 1.0.0\n",
        "charts/opt/values.yaml": "enabled: true\ndefault: 3\nglobal:\n  own: 1\n",
        "charts/tagged/Chart.yaml": "apiVersion: v2\nname: tagged\nversion: 1.0.0\n",
        "charts/tagged/values.yaml": "size: 10\n",
    })


def seen(chart: Path, **inputs) -> dict[str, dict]:
    """The values each chart's templates see, by chart path."""
    result = rendering.render(RenderOptions(chart=str(chart), **inputs))
    return {node.prefix: node.values for node in result.tree.walk()}


def test_set_null_deletes_a_subchart_default(parent):
    """`--set sub.resources.limits=null` would leave the subchart's default limits in place."""
    values = seen(parent, set_values=("sub.resources.limits=null",))
    assert values["app/charts/sub"]["resources"] == {"requests": {"cpu": 2}}
    assert values["app"]["sub"]["resources"] == {"requests": {"cpu": 2}}


def test_null_in_a_values_file_deletes_a_subchart_default(parent, tmp_path):
    """`sub: {inner: {deep: {a: null}}}` in a -f file would leave the subchart's default `a`."""
    (tmp_path / "override.yaml").write_text("sub:\n  inner:\n    deep:\n      a: null\n")
    values = seen(parent, values_files=(str(tmp_path / "override.yaml"),))
    assert values["app/charts/sub"]["inner"] == {"deep": {"b": 2}}


def test_a_subchart_off_by_its_condition_leaves_only_what_the_parent_set(parent):
    """`Values.opt` in the parent would show opt's defaults and globals though opt is switched off."""
    values = seen(parent)
    assert "app/charts/opt" not in values
    assert values["app"]["opt"] == {"enabled": False, "mine": 1}


def test_a_subchart_off_by_its_tags_leaves_no_section_in_the_parent(parent):
    """`Values.tagged` in the parent would hold the defaults of a subchart that its tags switched off."""
    values = seen(parent)
    assert "app/charts/tagged" not in values
    assert "tagged" not in values["app"]

"""`make bench`'s page writer: benchmark JSON to figures, figures to Markdown tables, engine sizes to an SVG plot."""

import pathlib
import sys
import xml.etree.ElementTree as ET

REPO = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "bench"))

from harness import figures, writing  # noqa: E402
from harness.figures import Figure, Target  # noqa: E402

SVG = "{http://www.w3.org/2000/svg}"
RUN = writing.Run(date="2026-12-05 01:00 UTC", machine="2 cores (test CPU)", loaded="", duration=600.0,
                  command="make bench")


def engine_row(objects, scale=1.0, helm=True):
    row = {"objects": objects, "dk_install": 0.001 * objects * scale, "dk_install_cold": 0.002 * objects,
           "dk_install_rss": 60 + objects // 100, "dk_upgrade": 0.0015 * objects, "dk_upgrade_rss": 61 + objects // 100}
    if helm:
        row.update(helm_install=0.003 * objects, helm_install_rss=80 + objects // 50, helm_upgrade=0.004 * objects,
                   helm_upgrade_rss=82 + objects // 50)
    return row


def test_ratio_at_or_below_target_is_met():
    """A figure that reaches its target would be reported as missed on docs/benchmarks.md."""
    assert Figure("install", 1.0, 2.0, target=Target(0.5)).met is True


def test_ratio_above_target_is_not_met():
    """A missed target would be reported as met on docs/benchmarks.md."""
    assert Figure("install", 1.2, 2.0, target=Target(0.5)).met is False


def test_value_target_judges_deploykit_alone():
    """A no-op upgrade with zero writes would be judged against Helm's writes instead of the zero target."""
    figure = Figure("no-op writes", 0, 3, unit="writes", target=Target(0, on="value"))
    assert (figure.met, figure.ratio) == (True, 0.0)


def test_figure_without_helm_side_has_no_ratio_and_no_verdict_on_a_ratio_target():
    """A benchmark run with --skip-helm would crash the page or claim a ratio target met."""
    figure = Figure("install", 1.0, None, target=Target(0.5))
    assert (figure.ratio, figure.met) == (None, None)


def test_table_row_shows_both_tools_ratio_target_and_verdict():
    """The table would not show what was measured, against what, and whether the target was met."""
    row = writing.table([Figure("upgrade, 1,000 objects", 3.39, 5.14, target=Target(0.5))])[2]
    assert row == "| upgrade, 1,000 objects | 3.39 s | 5.14 s | 0.66 | ratio <= 0.5 | **not met** |"


def test_table_shows_milliseconds_and_megabytes():
    """Sub-second times and memory figures would be unreadable (0.06 s, 77.0)."""
    rows = writing.table([Figure("warm", 0.0572, 0.0551), Figure("peak RSS", 77, 120, unit="MB")])
    assert "| 57 ms | 55 ms |" in rows[2] and "| 77 MB | 120 MB |" in rows[3]


def test_table_names_the_baseline_when_it_is_not_helm():
    """The decrypt table would call the sops loop 'Helm 4'."""
    assert writing.table([Figure("decrypt", 1.0, 2.0)], "sequential sops loop")[0].startswith(
        "| figure | deploykit | sequential sops loop |")


def test_page_has_date_machine_and_rerun_command():
    """A reader could not tell when and where the figures were measured, or how to rerun one."""
    section = writing.Section("Render", ".venv/bin/python bench/render/run.py --templates 300", [Figure("warm", 0.05, 0.05)])
    page = writing.markdown([section], RUN)
    assert "2026-12-05 01:00 UTC" in page and "2 cores (test CPU)" in page
    assert "    .venv/bin/python bench/render/run.py --templates 300" in page


def test_page_warns_when_measured_on_a_loaded_machine():
    """Figures from a machine busy with other work would read as reference figures."""
    page = writing.markdown([], writing.Run(**{**vars(RUN), "loaded": "load average 6.5 on 2 cores"}))
    assert "Measured on a loaded machine** (load average 6.5 on 2 cores)" in page


def test_quiet_run_has_no_loaded_warning():
    """Reference figures from a quiet machine would be flagged as noisy."""
    assert "loaded machine" not in writing.markdown([], RUN)


def test_quick_run_is_marked_as_a_smoke_run():
    """Small-size smoke figures would be mistaken for the reference ones."""
    assert "Quick smoke run" in writing.markdown([], writing.Run(**{**vars(RUN), "quick": True}))


def test_page_counts_targets_met():
    """The summary line would miscount the targets reached."""
    section = writing.Section("Engine", "cmd", [Figure("a", 1, 4, target=Target(0.5)), Figure("b", 3, 4, target=Target(0.5)),
                                                Figure("c", 1, 1)])
    assert "- targets: 1 of 2 met" in writing.markdown([section], RUN)


def test_benchmark_that_failed_is_named_with_its_error():
    """A benchmark that crashed would silently vanish from the page."""
    section = writing.Section("Pipeline", "cmd", [], error="bench/pipeline/run.py exited 1: boom")
    assert "Did not run: bench/pipeline/run.py exited 1: boom" in writing.markdown([section], RUN)


def test_render_row_added_by_another_branch_is_kept_without_a_target():
    """A new row of bench/render (e.g. a Helm-engine chart through deploykit) would be dropped from the page."""
    data = {"templates": 300, "rows": [
        {"label": "warm: load+render again in-process (median of 20)", "deploykit": 0.06, "helm": 0.06},
        {"label": "helm engine through deploykit", "deploykit": 0.07, "helm": 0.06}]}
    found = figures.render(data)
    assert [f.name for f in found] == ["render 300 templates: warm (median)",
                                       "render 300 templates: helm engine through deploykit"]
    assert found[0].target == Target(1.0) and found[1].target is None


def test_engine_memory_target_applies_to_the_1000_object_upgrade_only():
    """The 200 MB target of a 1,000-object upgrade would be judged on 5,000 objects too."""
    found = figures.engine({"sizes": [engine_row(1000), engine_row(5000)], "helm_timeout": 30})
    targeted = [f.name for f in found if f.unit == "MB" and f.target is not None]
    assert targeted == ["peak RSS, upgrade of 1,000 objects"]


def test_engine_speed_targets_apply_at_1000_objects_only():
    """Issue 10 sets install/upgrade <= 0.5x Helm at 1,000 objects: the page would count a 100-object row (mostly
    Python start-up) as a missed target."""
    found = figures.engine({"sizes": [engine_row(100), engine_row(1000), engine_row(5000)], "helm_timeout": 30})
    targeted = {f.name for f in found if f.target is not None and f.name.startswith(("install", "upgrade"))}
    assert targeted == {"install, 1,000 objects", "upgrade, 1,000 objects"}


def test_plot_is_svg_with_a_line_per_tool_and_action_in_each_panel():
    """The plot would be invalid SVG, or miss a tool or an action in time or memory."""
    points = figures.plot_points({"sizes": [engine_row(5000), engine_row(100), engine_row(1000)]})
    root = ET.fromstring(writing.plot_svg(points))
    assert root.tag == f"{SVG}svg"
    assert len(root.findall(f"{SVG}polyline")) == 8  # 4 series x (time, memory)
    legend = [t.text for t in root.findall(f"{SVG}text")]
    assert {"deploykit install", "deploykit upgrade", "Helm 4 install", "Helm 4 upgrade"} <= set(legend)


def test_plot_spaces_object_counts_on_a_log_scale():
    """100, 1,000 and 10,000 objects would be squeezed into the left of the plot (a linear axis)."""
    xs = writing._x_positions([100, 1000, 10000])
    assert abs((xs[1000] - xs[100]) - (xs[10000] - xs[1000])) < 0.01


def test_plot_without_helm_draws_deploykit_only():
    """A run with --skip-helm would crash the plot."""
    points = figures.plot_points({"sizes": [engine_row(100, helm=False), engine_row(1000, helm=False)]})
    root = ET.fromstring(writing.plot_svg(points))
    assert len(root.findall(f"{SVG}polyline")) == 4


def test_axis_ticks_reach_the_highest_value():
    """The highest point would be drawn above the plot area."""
    assert writing.nice_ticks(17.3)[-1] >= 17.3 and writing.nice_ticks(17.3)[0] == 0


def test_coldstart_figures_from_bench_coldstart_medians():
    """bench/coldstart's whole-process template and no-op upgrade would be missing from the CLI start table."""
    data = {"templates": 300, "median_seconds": {"dk_template": 0.26, "helm_template": 0.2, "dk_noop_upgrade": 0.5,
                                                 "helm_noop_upgrade": 0.25, "python_start": 0.02}}
    found = figures.coldstart(data)
    assert [(round(f.ratio, 2), f.met) for f in found] == [(1.3, True), (2.0, False)]

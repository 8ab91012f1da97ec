"""Symbolic links in a chart folder that loop, or lead back into the chart: refused with exit 2, not a traceback."""

import os

import pytest


def _assert_refused(done, *needles):
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    for needle in needles:
        assert needle in done.stderr


@pytest.mark.parametrize(("link", "target"), [("charts/loop", ".."), ("templates/again", "../templates")])
def test_link_to_a_folder_holding_it_is_refused(make_chart, run_cli, link, target):
    """A link such as charts/loop -> .. would crash deploykit with a RecursionError traceback (exit 1)."""
    chart = make_chart({"templates/cm.yaml": "kind: ConfigMap\n", "charts/.keep": ""})
    os.symlink(target, chart / link)
    done = run_cli("template", str(chart))
    _assert_refused(done, f"error: {chart / link}: is a link to {os.path.realpath(chart / link)}, a folder that holds the link",
                    "hint: remove the link")


def test_symbolic_link_loop_is_refused(make_chart, run_cli):
    """Links a -> b -> a would crash deploykit with an OSError traceback ('Too many levels of symbolic links')."""
    chart = make_chart({"templates/cm.yaml": "kind: ConfigMap\n"})
    os.symlink("b", chart / "charts-a")
    os.symlink("charts-a", chart / "b")
    done = run_cli("template", str(chart))
    _assert_refused(done, "is a symbolic link loop", "hint: remove the link")


def test_link_out_of_the_chart_says_what_to_do(make_chart, run_cli, tmp_path):
    """A link leaving the chart would be refused with no word on how to fix the chart."""
    chart = make_chart({"templates/cm.yaml": "kind: ConfigMap\n"})
    os.symlink("../..", chart / "up")
    done = run_cli("template", str(chart))
    _assert_refused(done, "is a link pointing out of the chart", "hint: copy what it points to into the chart")


def test_links_within_the_chart_still_load(make_chart, run_cli):
    """A link to a file or a sibling folder inside the chart would be refused as if it looped."""
    chart = make_chart({"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n", "shared/a.txt": "x"})
    os.symlink("shared/a.txt", chart / "a.txt")
    os.symlink("shared", chart / "files")
    done = run_cli("template", str(chart))
    assert done.returncode == 0, done.stderr
    assert "name: cm" in done.stdout

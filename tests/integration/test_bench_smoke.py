"""`make bench BENCH_QUICK=1` end to end on its cheapest benchmark: the harness runs a script and writes the page."""

import pathlib
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_quick_render_bench_writes_a_page_with_its_table(tmp_path):
    """`make bench` would break without anyone noticing until the lead reruns it on a quiet machine."""
    page = tmp_path / "benchmarks.md"
    done = subprocess.run([sys.executable, str(REPO / "bench" / "run_all.py"), "--quick", "--only", "render",
                           "--out", str(page), "--results", str(tmp_path / "results")],
                          capture_output=True, text=True, timeout=110)
    assert done.returncode == 0, done.stdout + done.stderr
    text = page.read_text()
    assert "| render 30 templates: warm (median) |" in text
    assert "    .venv/bin/python bench/render/run.py --templates 30" in text
    assert (tmp_path / "results" / "render.log").read_text().startswith("chart: 30 templates; same objects from both: True")

"""The bounds of a render (time, output) hold in any thread, and a render within them is not disturbed afterwards."""

import concurrent.futures
import time

import pytest

from deploykit import errors
from deploykit.charts import limits, loading, rendering, resolving
from deploykit.values import merging
from tests.plugins.charts import write_chart

ENDLESS = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}\n"
CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n"


def _render(path, bounds):
    chart = loading.load_chart(path)
    tree = resolving.resolve(chart, chart.values, merge=merging.merge)
    return rendering.render(tree, bounds=bounds)


def test_endless_render_in_a_worker_thread_is_stopped(tmp_path):
    """Renders run in worker threads (several releases at once) would hang past their timeout."""
    path = write_chart(tmp_path / "app", {"templates/spin.yaml": ENDLESS})
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(_render, path, limits.RenderLimits(timeout=0.3))
        with pytest.raises(errors.RenderError, match=r"spin.yaml:1: rendering took longer than 0.3 s"):
            future.result(timeout=30)


def test_a_render_that_ends_in_time_is_not_interrupted_later(tmp_path):
    """A watchdog left armed after a quick render would raise in whatever the thread does next."""
    path = write_chart(tmp_path / "app", {"templates/cm.yaml": CONFIGMAP})
    # 2 s: a quick render must never reach it, even when the suite loads both cores (0.5 s did once: the thread
    # starting the watchdog was not scheduled again in time)
    for _ in range(20):
        assert _render(path, limits.RenderLimits(timeout=2.0)).manifests
    deadline = time.monotonic() + 2.2
    while time.monotonic() < deadline:  # bytecode running well past every watchdog's deadline
        pass

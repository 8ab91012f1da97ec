"""timeline.svg: a bar per object from apply to ready or failure, failures in red with their reason, a time axis."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ElementTree

from deploykit.report import timeline
from tests.unit.report import samples

SVG = "{http://www.w3.org/2000/svg}"


def _svg(report):
    return ElementTree.fromstring(timeline.render(report))


def _bars(root):
    return {rect.find(f"{SVG}title").text.split(":")[0]: rect for rect in root.iter(f"{SVG}rect")
            if rect.find(f"{SVG}title") is not None}


def test_one_bar_per_applied_object():
    """Every object with an apply time gets a bar; unchanged objects get none."""
    assert set(_bars(_svg(samples.rolled_back()))) == {
        "Deployment/worker", "ConfigMap/web-config", "Secret/web-no-secret", "Service/web", "Deployment/frontend",
        "Deployment/api"}


def test_bar_length_is_time_to_ready():
    """A Deployment ready after 9.6 s has a bar 9.6 s long on the axis scale."""
    root = _svg(samples.rolled_back())
    bars = _bars(root)
    worker, frontend = bars["Deployment/worker"], bars["Deployment/frontend"]
    assert abs(float(frontend.get("width")) / float(worker.get("width")) - 9.6 / 5.0) < 0.01


def test_failure_is_red_with_its_reason():
    """The failed object's bar is red and its reason is written next to it."""
    root = _svg(samples.rolled_back())
    assert _bars(root)["Deployment/api"].get("fill") == timeline.COLOURS["failed"]
    texts = ["".join(text.itertext()) for text in root.iter(f"{SVG}text")]
    assert any(text.startswith("✕ CrashLoopBackOff: container api exited 1") for text in texts)


def test_axis_is_labelled_in_seconds():
    """The time axis runs from 0 s past the end of the stage."""
    texts = [text.text for text in _svg(samples.rolled_back()).iter(f"{SVG}text")]
    assert "0 s" in texts and "25 s" in texts


def test_nice_step_cuts_spans_into_round_numbers():
    """Ticks fall on 1-2-5 steps whatever the stage length."""
    assert [timeline.nice_step(span) for span in (4.5, 21, 300, 0.4)] == [1, 5, 50, 0.05]


def test_a_stage_without_releases_still_renders():
    """A refused stage (nothing deployed) still gives a valid picture."""
    assert _svg(dataclasses.replace(samples.succeeded(), releases=[], status="refused")).tag == f"{SVG}svg"

"""Parsing the sim.deploykit.io annotations users write on pod templates."""

from __future__ import annotations

import pytest

from deploykit.sim.controllers import behaviours


def test_crashloop_makes_every_app_container_exit_1():
    """A crashloop annotation that did not make containers exit 1 would leave pods healthy."""
    found, problems = behaviours.for_container({"sim.deploykit.io/behavior": "crashloop"}, "app")
    assert (found.exit_code, found.exit_reason, problems) == (1, None, [])


def test_oom_exits_137_with_reason_oomkilled():
    """`oom` shows OOMKilled / 137, as a container killed by the kernel does."""
    found, _ = behaviours.for_container({"sim.deploykit.io/behavior": "oom"}, "app")
    assert (found.exit_code, found.exit_reason) == (137, "OOMKilled")


def test_tokens_combine_with_commas_and_spaces():
    """`exit:3, exit-after:2s never-ready` sets all three."""
    found, _ = behaviours.for_container({"sim.deploykit.io/behavior": "exit:3, exit-after:2s never-ready"}, "app")
    assert (found.exit_code, found.exit_after, found.never_ready) == (3, 2.0, True)


@pytest.mark.parametrize("text, seconds", [("3s", 3.0), ("500ms", 0.5), ("1m30s", 90.0), ("1.5", 1.5), ("2h", 7200.0)])
def test_durations_read_like_go_durations(text, seconds):
    """ready-after:1m30s waits 90 seconds."""
    assert behaviours.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "3x", "s", "1s2", "-1s"])
def test_bad_durations_are_refused(text):
    """A typo in a duration is reported, not read as zero."""
    with pytest.raises(ValueError):
        behaviours.parse_duration(text)


def test_unknown_tokens_are_reported_and_ignored():
    """A misspelt behaviour gives a problem naming the annotation and the known tokens."""
    found, problems = behaviours.for_container({"sim.deploykit.io/behavior": "crashlop"}, "app")
    assert found.exit_code is None
    assert len(problems) == 1
    assert "sim.deploykit.io/behavior" in problems[0] and "'crashlop'" in problems[0] and "crashloop" in problems[0]


@pytest.mark.parametrize("token", ["exit:x", "exit:256", "ready-after:soon"])
def test_bad_arguments_are_reported(token):
    """exit:x or ready-after:soon is a problem, not a silent default."""
    _, problems = behaviours.for_container({"sim.deploykit.io/behavior": token}, "app")
    assert len(problems) == 1


def test_a_container_annotation_wins_over_the_pod_wide_one():
    """behavior.<container> targets one container and overrides the pod-wide behaviour for it."""
    annotations = {"sim.deploykit.io/behavior": "crashloop", "sim.deploykit.io/behavior.sidecar": "exit:0"}
    app, _ = behaviours.for_container(annotations, "app")
    sidecar, _ = behaviours.for_container(annotations, "sidecar")
    assert (app.exit_code, sidecar.exit_code) == (1, 0)


def test_pod_wide_behaviour_does_not_touch_init_containers():
    """A crash-looping app must not make its init containers crash too."""
    found, problems = behaviours.for_container({"sim.deploykit.io/behavior": "crashloop"}, "init", init=True,
                                               first_init=True)
    assert (found.exit_code, problems) == (None, [])


def test_init_fail_fails_only_the_first_init_container():
    """init-fail makes the first init container exit 1 and leaves the others alone."""
    annotations = {"sim.deploykit.io/behavior": "init-fail"}
    first, _ = behaviours.for_container(annotations, "migrate", init=True, first_init=True)
    second, _ = behaviours.for_container(annotations, "warm", init=True)
    app, problems = behaviours.for_container(annotations, "app")
    assert (first.exit_code, second.exit_code, app.exit_code, problems) == (1, None, None, [])


def test_log_lines_split_on_real_and_escaped_newlines():
    """`a\\nb` in YAML (escaped or literal) prints two lines."""
    literal, _ = behaviours.for_container({"sim.deploykit.io/logs": "a\nb\n"}, "app")
    escaped, _ = behaviours.for_container({"sim.deploykit.io/logs": "a\\nb"}, "app")
    assert literal.logs == escaped.logs == ("a", "b")


def test_attempt_placeholder_numbers_each_run():
    """{attempt} lets a test tell the crashed run's output from the current one."""
    found, _ = behaviours.for_container({"sim.deploykit.io/logs": "starting attempt {attempt}"}, "app")
    assert found.lines(1) == ["starting attempt 1"] and found.lines(3) == ["starting attempt 3"]


def test_container_logs_annotation_targets_one_container():
    """logs.<container> prints only in that container; pod-wide logs are for app containers."""
    annotations = {"sim.deploykit.io/logs": "app line", "sim.deploykit.io/logs.init": "init line"}
    init, _ = behaviours.for_container(annotations, "init", init=True)
    app, _ = behaviours.for_container(annotations, "app")
    assert (init.logs, app.logs) == (("init line",), ("app line",))


def test_object_tokens_read_pending_only():
    """`pending` on a PVC, Service or Ingress keeps it unbound / without an address."""
    assert behaviours.object_tokens({"sim.deploykit.io/behavior": "pending"}) == {"pending"}
    assert behaviours.object_tokens({"sim.deploykit.io/behavior": "crashloop"}) == set()
    assert behaviours.object_tokens(None) == set()

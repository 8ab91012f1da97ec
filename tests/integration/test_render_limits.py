"""Templates that render without end, or render too much: stopped at a bound, naming the template (exit 2)."""

import time

import pytest

ENDLESS = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}\n"
HUGE = "{% for i in range(100000) %}{{ 'x' * 100000 }}\n{% endfor %}\n"
CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n"


def _assert_refused(done, *needles):
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    for needle in needles:
        assert needle in done.stderr


def test_endless_loop_is_stopped_at_the_render_timeout(make_chart, run_cli):
    """A loop of 10^10 iterations would hang `template` for hours with no word."""
    chart = make_chart({"templates/cm.yaml": CONFIGMAP, "templates/spin.yaml": "# spins\n" + ENDLESS})
    started = time.monotonic()
    done = run_cli("template", str(chart), "--render-timeout", "0.5")
    assert time.monotonic() - started < 30
    _assert_refused(done, "error: app/templates/spin.yaml:2: rendering took longer than 0.5 s", "hint: ", "--render-timeout")


def test_render_timeout_comes_from_the_environment(make_chart, run_cli, monkeypatch):
    """DEPLOYKIT_RENDER_TIMEOUT would be ignored, leaving a CI job to hang until its own timeout."""
    chart = make_chart({"templates/spin.yaml": ENDLESS})
    monkeypatch.setenv("DEPLOYKIT_RENDER_TIMEOUT", "0.5")
    done = run_cli("template", str(chart))
    _assert_refused(done, "app/templates/spin.yaml:1: rendering took longer than 0.5 s")


def test_lint_reports_an_endless_loop(make_chart, run_cli):
    """`lint` would hang on a template that never ends instead of reporting it."""
    chart = make_chart({"templates/spin.yaml": ENDLESS})
    done = run_cli("lint", str(chart), "--render-timeout", "0.5")
    assert done.returncode == 1, done.stderr
    assert "app/templates/spin.yaml:1: rendering took longer than 0.5 s" in done.stdout + done.stderr


def test_huge_output_is_stopped_at_the_output_bound(make_chart, run_cli):
    """A loop printing gigabytes would end in 'MemoryError:' with no message (or the OOM killer)."""
    chart = make_chart({"templates/cm.yaml": CONFIGMAP, "templates/huge.yaml": HUGE})
    done = run_cli("template", str(chart), "--render-max-output", "1000000")
    _assert_refused(done, "app/templates/huge.yaml", "more than 1,000,000 characters", "--render-max-output")


def test_huge_string_is_refused_before_it_is_made(make_chart, run_cli):
    """`'x' * 10**10` would try to allocate 10 GB and end in MemoryError or the OOM killer."""
    chart = make_chart({"templates/huge.yaml": "a: {{ 'ab' * 10**10 }}\n"})
    done = run_cli("template", str(chart))
    _assert_refused(done, "error: app/templates/huge.yaml:1:", "20,000,000,000 characters", "above the render output limit")


def test_output_bound_counts_the_whole_release(make_chart, run_cli):
    """Many templates each under the bound would together render without limit."""
    chart = make_chart({f"templates/cm{index}.yaml": CONFIGMAP.replace("cm", f"cm{index}") + "data:\n  a: " + "x" * 400 + "\n"
                        for index in range(5)})
    done = run_cli("template", str(chart), "--render-max-output", "1000")
    _assert_refused(done, "more than 1,000 characters")


@pytest.mark.parametrize(("flag", "value"), [("--render-timeout", "0"), ("--render-max-output", "-1")])
def test_a_bound_that_is_not_positive_is_a_usage_error(make_chart, run_cli, flag, value):
    """A zero bound would fail every render with a misleading 'took longer than 0 s'."""
    chart = make_chart({"templates/cm.yaml": CONFIGMAP})
    done = run_cli("template", str(chart), flag, value)
    _assert_refused(done, f"{flag} {value}: must be above 0")


GO_ENDLESS = "{{- range $i := until 100000 }}{{- range $j := until 100000 }}{{- end }}{{- end }}\n"
GO_CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n"


def test_go_template_loop_is_stopped_at_the_render_timeout_naming_the_template(make_chart, run_cli):
    """A Go chart's endless loop would hang `template` (Helm's engine cannot be interrupted) or blame no template."""
    chart = make_chart({"templates/cm.yaml": GO_CONFIGMAP, "templates/spin.yaml": GO_ENDLESS})
    started = time.monotonic()
    done = run_cli("template", str(chart), "--render-timeout", "0.5")
    assert time.monotonic() - started < 20
    _assert_refused(done, "error: app/templates/spin.yaml: rendering took longer than 0.5 s", "hint: ", "--render-timeout")

"""The pre-upgrade hook Job of an attempt that failed or was cancelled, cleaned up as Helm's delete policies say.

Build 1 is deployed without the hook; build 2 runs the pre-upgrade hook Job
app-pre (the release tests' app chart), whose annotations each test sets:
hook-failed deletes it when it failed or its wait was cancelled; the default
(before-hook-creation) keeps it for its logs until the next attempt replaces it.
"""

from __future__ import annotations

import signal

HOOK_ANNOTATION = "deploykit.io/hook: pre-upgrade"


def _with_policy(project, policy: str) -> None:
    """Give the chart's hook Job the delete policy `policy`."""
    template = project.root / "chart" / "templates" / "hook.yaml"
    text = template.read_text()
    assert HOOK_ANNOTATION in text
    indent = text[:text.index(HOOK_ANNOTATION)].rsplit("\n", 1)[1]
    template.write_text(text.replace(HOOK_ANNOTATION, f"{HOOK_ANNOTATION}\n{indent}deploykit.io/hook-delete-policy: "
                                                      f"{policy}"))


def _hook_values(project, hook: str, *, tag: str = "2") -> None:
    project.set_values(tag=tag, extra=True)
    path = project.root / "values" / "app.yaml"
    path.write_text(path.read_text().replace('hookBehavior: "exit:0"', f"hookBehavior: {hook!r}"))


def test_a_hook_cancelled_while_it_runs_is_deleted_by_its_hook_failed_policy(project):
    """A cancelled CI job would leave its migration Job running in the cluster although the chart says hook-failed."""
    _with_policy(project, "before-hook-creation,hook-failed")
    assert project.upgrade().returncode == 0
    _hook_values(project, "exit-after:60s")
    done = project.upgrade(env={"DEPLOYKIT_TEST_SIGNAL_AT": "hook"})
    assert done.returncode == 128 + signal.SIGTERM, done.stdout + done.stderr
    assert project.get("job", "app-pre") is None
    assert project.running_tag() == "1" and project.consistent() == []


def test_a_failed_hook_is_deleted_by_its_hook_failed_policy(project):
    """A failed migration Job would stay behind after the rollback although the chart says hook-failed."""
    _with_policy(project, "hook-failed")
    assert project.upgrade().returncode == 0
    _hook_values(project, "exit:1")
    done = project.upgrade()
    assert done.returncode == 1, done.stdout + done.stderr
    assert "pre-hooks: Job/app-pre: job failed" in done.stderr
    assert project.get("job", "app-pre") is None
    assert project.running_tag() == "1" and project.consistent() == []


def test_a_failed_hook_is_kept_for_its_logs_and_replaced_by_the_next_attempt(project):
    """Without a policy (before-hook-creation) the next upgrade would trip over the failed attempt's Job."""
    assert project.upgrade().returncode == 0
    _hook_values(project, "exit:1")
    assert project.upgrade().returncode == 1
    failed = project.get("job", "app-pre")
    assert failed is not None and failed["status"].get("failed")
    _hook_values(project, "exit:0")
    again = project.upgrade()
    assert again.returncode == 0, again.stdout + again.stderr
    replaced = project.get("job", "app-pre")
    assert replaced["metadata"]["uid"] != failed["metadata"]["uid"] and replaced["status"].get("succeeded") == 1
    assert project.running_tag() == "2" and project.consistent() == []

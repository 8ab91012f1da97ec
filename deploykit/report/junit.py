"""`junit.xml`: the stage report as JUnit XML, so GitLab and GitHub show each object as a test.

A testsuite per release, a testcase per object and per hook (plus `rollback`
when one ran, and `deploy` for a failure no object carries, skipped for a
release cancelled before it wrote anything). A failure
carries the reason as its message and the object, pod, container, exit code
and last log lines as its text. Characters XML 1.0 cannot hold (the ANSI
escapes of container logs) are dropped, so the file always parses.
Must not: write files.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree

from deploykit.report import model, xmltext


def failure_text(failure: model.FailureReport) -> str:
    """The failure's details, one per line, then its last log lines."""
    details = [f"{label}: {value}" for label, value in (
        ("object", failure.object), ("pod", failure.pod), ("container", failure.container),
        ("exit code", "" if failure.exit_code is None else str(failure.exit_code)),
    ) if value]
    if failure.logs:
        details += ["last log lines:", *failure.logs]
    return "\n".join(details)


def _seconds(value: float | None) -> str:
    return f"{value or 0.0:.3f}"


def _case(suite: ElementTree.Element, *, classname: str, name: str, seconds: float | None,
          failure: model.FailureReport | None, skipped: str = "") -> None:
    case = ElementTree.SubElement(suite, "testcase", classname=xmltext.clean(classname), name=xmltext.clean(name),
                                  time=_seconds(seconds))
    if failure is not None:
        element = ElementTree.SubElement(case, "failure", message=xmltext.clean(failure.reason), type="failure")
        element.text = xmltext.clean(failure_text(failure))
    elif skipped:
        ElementTree.SubElement(case, "skipped", message=xmltext.clean(skipped))


def _suite(root: ElementTree.Element, report: model.StageReport, release: model.ReleaseReport) -> None:
    suite = ElementTree.SubElement(root, "testsuite", name=xmltext.clean(f"{report.stage}/{release.namespace}/{release.name}"),
                                   timestamp=report.started_at, time=_seconds(sum(release.timings.values())))
    classname = f"{report.pipeline}.{report.stage}.{release.name}"
    for item in release.objects:
        seconds = item.seconds_to_ready if item.failure is None else item.failure.seconds
        _case(suite, classname=classname, name=item.title, seconds=seconds, failure=item.failure,
              skipped="" if item.status in ("ready", "failed") else item.status)
    for hook in release.hooks:
        _case(suite, classname=classname, name=f"hook {hook.event} {hook.kind}/{hook.name}", seconds=hook.seconds,
              failure=hook.failure or (None if hook.ok else model.FailureReport(reason="hook failed")))
    carried = any(item.failure for item in release.objects) or any(not hook.ok for hook in release.hooks)
    untouched = not release.objects and not release.hooks and release.rollback is None
    if release.failure is not None and not carried and release.status == "cancelled" and untouched:
        # cancelled before it wrote anything (or never started): not a failure of the release, nothing ran
        _case(suite, classname=classname, name="deploy", seconds=None, failure=None, skipped=release.failure.reason)
    elif release.failure is not None and not carried:
        _case(suite, classname=classname, name="deploy", seconds=None, failure=release.failure)
    if release.rollback is not None:
        rollback = release.rollback
        failure = None if rollback.ok else model.FailureReport(reason=rollback.error or "rollback failed")
        _case(suite, classname=classname, name=f"rollback to revision {rollback.to_revision}",
              seconds=rollback.seconds, failure=failure)
    cases = suite.findall("testcase")
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(sum(1 for case in cases if case.find("failure") is not None)))
    suite.set("skipped", str(sum(1 for case in cases if case.find("skipped") is not None)))
    suite.set("errors", "0")


def render(report: model.StageReport) -> bytes:
    """The junit.xml bytes of a report."""
    root = ElementTree.Element("testsuites", name=xmltext.clean(f"{report.pipeline}/{report.stage}/{report.cluster}"))
    for release in report.releases:
        _suite(root, report, release)
    suites = root.findall("testsuite")
    for counter in ("tests", "failures", "skipped", "errors"):
        root.set(counter, str(sum(int(suite.get(counter, "0")) for suite in suites)))
    ElementTree.indent(root)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"

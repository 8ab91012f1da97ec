"""SIGTERM (a cancelled CI job) while a pipeline stage tracks its rollout: roll back, report "cancelled", exit 143."""

from __future__ import annotations

import signal
import time
import xml.etree.ElementTree as ET

from tests.integration.reliability.conftest import report_of, wait_for_line


def test_a_cancelled_stage_rolls_back_reports_cancelled_and_exits_143(project):
    """A cancelled CI job would leave the half-rolled-out build running, or its report would say it failed."""
    first = project.stage()
    assert first.returncode == 0, first.stdout + first.stderr
    project.set_values(tag="2", behavior="never-ready")
    process = project.start(project.stage_args())
    wait_for_line(process, "applying")
    time.sleep(0.3)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM, out + err
    assert "rolled back" in out + err
    report = report_of(project)
    [release] = report["releases"]
    assert report["status"] == "cancelled" and release["status"] == "cancelled"
    assert release["rollback"]["ok"] is True
    junit = ET.parse(project.root / "reports" / "junit.xml").getroot()
    assert "cancelled" in ET.tostring(junit, encoding="unicode")
    assert project.running_tag() == "1"
    assert project.consistent() == []

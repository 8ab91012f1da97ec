"""What tracking prints: CI lines and the TTY table."""

from deploykit.track.printing import LinePrinter, TablePrinter, problem_sources
from deploykit.track.verdicts import PodProblem, failed, in_progress, ready


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_line_printer_prefixes_elapsed_time_and_shows_progress():
    """CI logs would not show when each resource made progress."""
    lines, clock = [], Clock()
    printer = LinePrinter(lines.append, clock=clock)
    clock.now += 1.5
    printer.progress("Deployment/web", in_progress("1/3 replicas available", "1/3 ready"))
    printer.log_line("web-abc", "app", "listening on :8080")
    assert lines == ["[   1.5s] Deployment/web 1/3 ready: InProgress: 1/3 replicas available",
                     "  web-abc/app | listening on :8080"]


def test_failure_shows_reason_once_other_problems_and_last_logs():
    """A failure would repeat itself or hide the second pod's problem and the crashed container's logs."""
    lines = []
    first = PodProblem(pod="web-1", container="app", reason="CrashLoopBackOff", exit_code=1, restarts=2)
    second = PodProblem(pod="web-2", container="app", reason="ImagePullBackOff")
    verdict = failed(first.describe(), problems=(first, second))
    LinePrinter(lines.append, clock=Clock()).failure("Deployment/web", verdict,
                                                    {"web-1/app (previous attempt)": ["boom"]})
    text = "\n".join(lines)
    assert text.count("CrashLoopBackOff") == 1
    assert "- pod/web-2 container app: ImagePullBackOff" in text
    assert "last log lines of web-1/app (previous attempt):\n    boom" in text


def test_table_printer_redraws_rows_in_place_with_logs_above():
    """On a terminal the table would scroll away instead of updating in place."""
    out = []
    printer = TablePrinter(out.append, clock=Clock())
    printer.progress("Deployment/web", in_progress("0/2 replicas available", "0/2 ready"))
    printer.progress("Deployment/web", ready("2/2 replicas available", "2/2 ready"))
    printer.log_line("web-abc", "app", "hello")
    screen = "".join(out)
    assert "\x1b[2A\x1b[J" in screen  # the 2-line table (header + row) was erased before redrawing
    assert screen.rstrip().endswith("Deployment/web  Ready       2/2 ready")
    assert "web-abc/app | hello" in screen


def test_crash_loops_read_the_previous_attempts_logs():
    """The failure would show the new, empty attempt's logs instead of the crashed one's."""
    crash = PodProblem(pod="p", container="app", reason="CrashLoopBackOff", restarts=1)
    pull = PodProblem(pod="q", container="app", reason="ImagePullBackOff")
    unschedulable = PodProblem(pod="r", container=None, reason="Unschedulable")
    assert problem_sources((crash, pull, unschedulable)) == [("p", "app", True), ("q", "app", False)]

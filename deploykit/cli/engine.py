"""What the release commands share: the cluster connection, the tracker wired to stdout, results printed.

Owns `connect` (a Kube for the flags), `kube_version` (the target
cluster's version for rendering), `tracker_for` (the tracker printing
through the redacting stdout), and printing a `DeployResult` as text, JSON
or YAML, plus writing it as a --report file through the redactor.

Must not: hold engine logic (deploykit.release does), import the
kubernetes client at module level, or import typer (the fast front runs
commands without it; the release commands' typer options live in
deploykit.cli.releaseflags).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from typing import Any, Optional

from deploykit import errors
from deploykit.cli.printing import echo


def seconds(text: str, *, what: str) -> float:
    from deploykit.track import settings

    return settings.parse_duration(text, what=what)


def check_output(output: str) -> str:
    if output not in ("table", "json", "yaml"):
        raise errors.UsageError(f"-o {output}: unknown output format", hint="use table, json or yaml")
    return output


def connect(kubeconfig: Optional[str], kube_context: Optional[str]) -> Any:
    from deploykit.kube.client import Kube

    return Kube.connect(kubeconfig=kubeconfig, context=kube_context)


def kube_version(kube: Any, given: Optional[str] = None) -> str:
    """The target version: --kube-version when given, else the connected cluster's."""
    from deploykit.release import upgrading

    return given or upgrading.target_version(kube)


def say(line: str) -> None:
    echo(line)


def tracker_for(kube: Any, *, timeout: float, show_logs: bool = True):
    """The engine's tracker, printing progress, events and logs through the redacting stdout."""
    from deploykit.release import deploying
    from deploykit.track import printing

    write = lambda line: echo(line)  # noqa: E731 - stdout is the redacting stream
    printer = printing.TablePrinter(write) if sys.stdout.isatty() else printing.LinePrinter(write)
    return deploying.tracker(kube, printer=printer, timeout=timeout, show_logs=show_logs)


def emit(data: Any, output: str) -> None:
    """Print data as JSON or YAML (through the redacting stdout)."""
    if output == "json":
        echo(json.dumps(data, indent=2, default=str))
    else:
        import yaml

        echo(yaml.safe_dump(data, sort_keys=False, default_flow_style=False).rstrip("\n"))


@contextlib.contextmanager
def cancellable(*, report: Optional[str] = None, release: str = "", untouched: str = "nothing was applied",
                completed: str = "nothing was rolled back", again: str = "deploy again when ready") -> Iterator[None]:
    """SIGTERM / SIGINT cancel the deploy in the block at its next safe point (deploykit.release.cancelling); a run
    that got one exits 128 + it, whatever it did. A deploy cancelled before its first write says so (`untouched`)
    in --report; one cancelled once done says `completed`."""
    from deploykit.release import cancelling

    with cancelling.handling():
        try:
            yield
        except cancelling.Cancelled as exc:
            message = f"{release or 'the deploy'} was cancelled by {exc.name}: {untouched}"
            write_report(report, {"ok": False, "release": release, "status": "cancelled", "error": message})
            raise errors.CancelledError(message, signum=exc.signum, hint=again) from None
        except errors.DeploykitError as exc:
            exc.cancelled = cancelling.received() or getattr(exc, "cancelled", None)  # failed as it was cancelled
            raise
    signum = cancelling.received()
    if signum is not None:
        raise errors.CancelledError(f"{release or 'the deploy'} was cancelled by {cancelling.name(signum)} after it "
                                    f"had completed: {completed}", signum=signum)


def write_report(path: Optional[str], data: dict[str, Any]) -> None:
    if not path:
        return
    from deploykit.release import cancelling
    from deploykit.report import saving
    from deploykit.secrets import redaction

    if (signum := cancelling.received()) is not None:
        data = {**data, "cancelled": cancelling.name(signum)}

    try:
        saving.save(path, redaction.mask(json.dumps(data, indent=2, default=str)) + "\n")
    except OSError as exc:
        raise errors.ReportError(f"--report {path}: cannot write: {exc.strerror or exc}") from None


def check_report_path(path: Optional[str]) -> None:
    if path and not os.path.isdir(os.path.dirname(os.path.abspath(path))):
        raise errors.UsageError(f"--report {path}: the folder {os.path.dirname(path) or '.'} does not exist",
                                hint="create it first, or write the report elsewhere")


def table(rows: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
    """Rows as an aligned text table with upper-case headers."""
    cells = [[c.upper() for c in columns]] + [[str(row.get(c, "") if row.get(c) is not None else "") for c in columns] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    for line in cells:
        echo("  ".join(text.ljust(width) for text, width in zip(line, widths)).rstrip())

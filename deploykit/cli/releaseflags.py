"""The typer options every release command takes: --kubeconfig, --kube-context, -n, -o, --timeout, ...

Declarations only (the helpers the commands share are deploykit.cli.engine's,
which must not import typer).
"""

from __future__ import annotations

import typer

KUBECONFIG = typer.Option(None, "--kubeconfig", metavar="FILE", help="Path of the kubeconfig (default: KUBECONFIG).")
KUBE_CONTEXT = typer.Option(None, "--kube-context", metavar="NAME", help="Context of the kubeconfig to use.")
OUTPUT = typer.Option("table", "-o", "--output", metavar="FORMAT", help="table, json or yaml.")
TIMEOUT = typer.Option("5m", "--timeout", metavar="DURATION", help="How long to wait for readiness (90s, 5m, 1h).")
LOCK_TIMEOUT = typer.Option("60s", "--lock-timeout", metavar="DURATION", help="How long to wait for another run's release lock.")
RELEASE = typer.Argument(..., metavar="RELEASE", help="Release name.", show_default=False)
NAMESPACE = typer.Option(None, "-n", "--namespace", metavar="NS", help="Namespace of the release (default: the context's).")
NO_ATOMIC = typer.Option(False, "--no-atomic", help="On failure, leave the failed revision in place (no rollback).")
CREATE_NAMESPACE = typer.Option(False, "--create-namespace", help="Create the namespace if it does not exist.")
ADOPT = typer.Option(False, "--adopt", help="Take over objects that exist but belong to no release or another one "
                     "(a Helm release of this name is adopted first, as `deploykit adopt helm` does).")
NO_WAIT = typer.Option(False, "--no-wait", help="Do not track readiness after applying.")
REPORT = typer.Option(None, "--report", metavar="FILE", help="Write the result as JSON to this file.")
DESCRIPTION = typer.Option("", "--description", metavar="TEXT", help="Description stored with the revision.")

"""`deploykit sim serve`: run the Kubernetes API simulator in the foreground.

Binds the flags into simulator settings and runs `deploykit.sim.serving`;
prints where it listens and which kubeconfig to use. Holds no simulator logic.
"""

from __future__ import annotations

import os
from typing import Optional

import typer

from deploykit import errors
from deploykit.cli import apps

app = apps.command_app(help="Run the embedded Kubernetes API simulator.", no_args_is_help=True)


@app.callback()
def sim() -> None:
    """Run the embedded Kubernetes API simulator."""


def _codes(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise errors.UsageError(f"--error-codes {text!r} is not a comma-separated list of HTTP codes",
                                hint="for example --error-codes 429,503") from None


@app.command()
def serve(
    port: int = typer.Option(0, "--port", metavar="PORT", help="Loopback port to listen on (0: a free one)."),
    state: Optional[str] = typer.Option(None, "--state", metavar="DIR", help="Directory where objects survive a restart."),
    kubeconfig_out: Optional[str] = typer.Option(
        None, "--kubeconfig-out", metavar="FILE", help="Write a kubeconfig (context deploykit-sim) to this file."),
    latency: float = typer.Option(0.0, "--latency", metavar="SECONDS", help="Fault: seconds added to every resource request."),
    error_rate: float = typer.Option(0.0, "--error-rate", metavar="R", help="Fault: fraction of resource requests that fail."),
    error_codes: str = typer.Option("429,500,503", "--error-codes", metavar="CODES", help="Fault: codes failed requests get."),
    watch_close_after: Optional[float] = typer.Option(
        None, "--watch-close-after", metavar="SECONDS", help="Fault: close every watch after this many seconds."),
    bookmark_interval: float = typer.Option(30.0, "--bookmark-interval", metavar="SECONDS", help="Seconds between watch bookmarks."),
    seed: Optional[int] = typer.Option(None, "--seed", metavar="N", help="Seed of the fault dice, for repeatable runs."),
    controllers: bool = typer.Option(
        True, "--controllers/--no-controllers",
        help="Run the simulated controllers, scheduler and kubelet (off: the API server alone)."),
    speed: float = typer.Option(
        1.0, "--speed", metavar="N", help="Simulated cluster speed: every delay (readiness, back-off, deadlines) divided by it."),
    nodes: int = typer.Option(3, "--nodes", metavar="N", help="Number of simulated worker nodes."),
) -> None:
    """Serve the Kubernetes API on 127.0.0.1 until interrupted."""
    import logging

    from deploykit.sim import faults, serving, watching

    logging.basicConfig(level=logging.WARNING, format="deploykit sim: %(levelname)s %(message)s")

    try:
        injected = faults.Faults(latency=latency, error_rate=error_rate, error_codes=_codes(error_codes),
                                 watch_close_after=watch_close_after, seed=seed)
    except ValueError as exc:
        raise errors.UsageError(str(exc)) from None
    if not speed > 0:
        raise errors.UsageError(f"--speed {speed} must be greater than 0", hint="--speed 10 runs ten times faster")
    if nodes < 1:
        raise errors.UsageError(f"--nodes {nodes}: a simulated cluster needs at least 1 node")
    if not 0 <= port <= 65535:
        raise errors.UsageError(f"--port {port} is not a TCP port", hint="choose one of 1-65535, or 0 for a free one")
    if state and os.path.exists(state) and not os.path.isdir(state):
        raise errors.UsageError(f"--state {state} is a file", hint="--state takes a directory (created if missing)")
    settings = serving.Settings(port=port, state_dir=state, faults=injected,
                                watch=watching.Options(bookmark_interval=bookmark_interval,
                                                       close_after=watch_close_after),
                                controllers=controllers, speed=speed, nodes=nodes)

    def ready(server: serving.Server) -> None:
        where = f" (kubeconfig: {kubeconfig_out}, context {serving.CONTEXT})" if kubeconfig_out else ""
        typer.echo(f"deploykit sim listening on {server.url}{where}", err=False)

    try:
        serving.run_forever(settings, kubeconfig_out=kubeconfig_out, on_ready=ready)
    except OSError as exc:
        if exc.filename:  # the kubeconfig or the state directory, not the socket
            raise errors.UsageError(f"cannot write {exc.filename}: {exc.strerror or exc}",
                                    hint="choose a writable --kubeconfig-out and --state") from None
        raise errors.UsageError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}",
                                hint="choose another --port, or 0 for a free one") from None
    except RuntimeError as exc:  # unreadable --state
        raise errors.UsageError(str(exc), hint="point --state at another directory") from None

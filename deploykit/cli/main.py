"""Entry point of the `deploykit` command: the fast front first, typer for everything else, one error exit.

`run` is the console script (and `python -m deploykit`). A well-formed
invocation of a command the fast front knows (deploykit.cli.fastfront: its
flags read from a table checked against the typer declarations) runs without
importing typer; anything else (--help, completion, a malformed or unknown
flag, a command it does not know) goes to the typer app of deploykit.cli.root,
so messages and exit codes are typer's. `main.app` is that typer app (loaded
on first use).

The process is short-lived, so the cyclic garbage collector is tuned for it:
collections run every 50,000 new container objects instead of every 700 (an
import or a render allocates hundreds of thousands; cycles are still
collected), and at exit the objects still alive are frozen, so the
interpreter's last collection does not walk every one of them before the
process ends. Together ~5% of a `template` process's instructions.

Must not: import typer (or click) at module level.
"""

from __future__ import annotations

import gc
import sys
from typing import Any

from deploykit import errors

GC_YOUNG_THRESHOLD = 50_000  # new container objects between two collections of the youngest generation (Python: 700)


def run() -> None:
    """Console-script entry point: run the command, turn DeploykitError into a message and exit code."""
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
    # Every line printed from here on (output, logs, tracebacks) passes the run's redactor.
    from deploykit.cli import fastfront, printing
    from deploykit.secrets import redaction

    redaction.install_streams()
    try:
        if not fastfront.run(sys.argv[1:]):
            from deploykit.cli import root

            root.app()  # standalone: usage errors print usage and exit 2
    except errors.DeploykitError as exc:
        printing.echo(f"error: {redaction.mask(str(exc))}", err=True)
        # A deploy cancelled by SIGTERM (a cancelled CI job) exits as killed by it, once it has rolled back.
        cancelled = getattr(exc, "cancelled", None)
        sys.exit(128 + cancelled if cancelled else exc.exit_code)
    finally:
        redaction.flush_streams()
        gc.freeze()  # the process ends: the interpreter's final collection need not walk what is alive now


def __getattr__(name: str) -> Any:
    """`main.app`, `main.COMMANDS`, ...: the typer root's, imported when first asked for."""
    if name.startswith("__"):
        raise AttributeError(name)
    from deploykit.cli import root

    return getattr(root, name)


if __name__ == "__main__":
    run()

"""What `deploykit version` does (its flags are declared in deploykit.cli.root); runs without typer."""

from __future__ import annotations

import json
from typing import Optional

from deploykit import __version__, errors
from deploykit.cli.printing import echo


def version(*, short: bool, output: Optional[str]) -> None:
    """Print `deploykit VERSION`, the number alone (short), or a JSON object (output json)."""
    if output not in (None, "json"):
        raise errors.UsageError(f"-o {output}: unknown output format", hint="use -o json, or no -o")
    if output == "json":
        import platform

        echo(json.dumps({"version": __version__, "python": platform.python_version()}))
    else:
        echo(__version__ if short else f"deploykit {__version__}")

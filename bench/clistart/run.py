"""bench/clistart: how long a new deploykit process takes to start, vs a new process importing Helm 4's SDK.

Run: .venv/bin/python bench/clistart/run.py [--runs 10] [--json]

The floor every CI job pays before any work: `deploykit --version` and
`deploykit --help` as whole processes (interpreter, imports, CLI set-up),
against `python -c "import helm_python"` (interpreter and the Go runtime of
helm-python-sdk loaded). Runs interleave the sides; medians are printed.
A fuller cold-start comparison (`template` and a no-op `upgrade` in a new
process) is bench/coldstart, which `make bench` prefers when it exists.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import statistics
import subprocess
import sys
import time

DEPLOYKIT = str(pathlib.Path(sys.executable).parent / "deploykit")
COMMANDS = {
    "deploykit_version": [DEPLOYKIT, "--version"],
    "deploykit_help": [DEPLOYKIT, "--help"],
    "helm_import": [sys.executable, "-c", "import helm_python"],
}


def wall(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--json", action="store_true", help="end with one line of JSON holding every figure")
    args = parser.parse_args()
    for command in COMMANDS.values():  # warm the page cache: every side starts from the same disk state
        wall(command)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.runs):
        for name, command in COMMANDS.items():
            times[name].append(wall(command))
    medians = {name: statistics.median(found) for name, found in times.items()}
    for name, seconds in medians.items():
        shown = " ".join([pathlib.Path(COMMANDS[name][0]).name, *COMMANDS[name][1:]])
        print(f"{shown}: median {seconds * 1000:.0f} ms over {args.runs} runs")
    if args.json:
        print(json.dumps({"runs": args.runs, **medians}))


if __name__ == "__main__":
    main()

"""`make bench`: run every benchmark against Helm 4, collect their JSON, write docs/benchmarks.md and its SVG plot.

    .venv/bin/python bench/run_all.py [--quick] [--only render,engine] [--out DOC] [--plot SVG]

Each benchmark is a script of its own (bench/<name>/run.py), run as a new
process with --json; its last stdout line is its figures as JSON, which
bench/harness/figures.py turns into rows with targets, and
bench/harness/writing.py into the page. Full output of every script goes to
the results folder (.deploykit/bench/<mode>/), with the raw JSON.

--quick (make bench BENCH_QUICK=1) runs every benchmark at small sizes and
writes to .deploykit/bench/quick/ instead of docs/: a smoke run, not figures.

CLI start: bench/coldstart/run.py when it exists (`--json FILE`: whole-process
`template` and no-op `upgrade` vs Helm 4), else, or when it fails,
bench/clistart/run.py (`deploykit --version`/`--help` vs importing
helm_python, each a new process).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import pathlib
import platform
import shutil
import subprocess
import sys
import time

BENCH = pathlib.Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

from harness import figures, writing  # noqa: E402



@dataclasses.dataclass(frozen=True)
class Bench:
    name: str  # bench/<name>/run.py
    title: str
    full: list[str]  # arguments of the reference run
    quick: list[str]  # arguments of the smoke run
    baseline: str = "Helm 4"
    fallback: str = ""  # a bench to run instead when this one is missing or fails
    json_file: bool = False  # takes `--json FILE` (writes its JSON there) rather than printing it last


BENCHES = [
    Bench("render", "Render (Jinja2 chart vs the same chart through Helm 4's engine)",
          ["--templates", "300", "--repeat", "20", "--cold-runs", "3"],
          ["--templates", "30", "--repeat", "3", "--cold-runs", "1"]),
    Bench("engine", "Install and upgrade, no-op upgrade, failure -> previous revision ready",
          ["--sizes", "100,1000,5000", "--noop-objects", "500", "--helm-timeout", "30", "--repeats", "3"],
          ["--sizes", "20,60", "--noop-objects", "20", "--helm-timeout", "5"]),
    Bench("failfast", "Failure verdict latency (crash-looping rollout)",
          ["--runs", "5", "--helm-timeout", "60"], ["--runs", "1", "--helm-timeout", "5"]),
    Bench("pipeline", "Three-stage pipeline", ["--releases", "20", "--stages", "3"], ["--releases", "3", "--stages", "3"]),
    Bench("decrypt", "Decrypt sops files", ["--files", "100", "--rounds", "3"], ["--files", "8", "--rounds", "1"],
          baseline="sequential sops loop"),
    Bench("coldstart", "CLI start (a new process, as every CI job)", ["--templates", "300", "--repeat", "15"],
          ["--templates", "30", "--repeat", "2"], fallback="clistart", json_file=True),
]
FALLBACKS = {"clistart": Bench("clistart", "CLI start (a new process, as every CI job)", ["--runs", "10"], ["--runs", "3"])}
TIMEOUT = 3600


def run_script(bench: Bench, args: list[str], results: pathlib.Path) -> dict:
    """Run bench/<name>/run.py ARGS with --json; its JSON. Its whole output goes to RESULTS/<name>.log."""
    name, written = bench.name, results / f"{bench.name}.json"
    asked = ["--json", str(written)] if bench.json_file else ["--json"]
    done = subprocess.run([sys.executable, str(BENCH / name / "run.py"), *args, *asked], capture_output=True,
                          text=True, timeout=TIMEOUT, cwd=REPO)
    (results / f"{name}.log").write_text(done.stdout + done.stderr)
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    if bench.json_file and done.returncode == 0 and written.exists():
        return json.loads(written.read_text())
    if done.returncode != 0 or not lines or not lines[-1].startswith("{"):
        tail = (done.stderr.strip() or done.stdout.strip()).splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"bench/{name}/run.py exited {done.returncode}: {tail[0][:200]} (log: {results / name}.log)")
    return json.loads(lines[-1])


def command_line(name: str, args: list[str]) -> str:
    return " ".join([".venv/bin/python", f"bench/{name}/run.py", *args])


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor() or "unknown CPU")
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import helm_python

    sops = shutil.which("sops")
    sops_version = subprocess.run([sops, "--version"], capture_output=True, text=True).stdout.split("\n")[0] if sops else "-"
    return (f"{os.cpu_count()} cores ({model}), {memory:.0f} GB RAM, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, Helm SDK {helm_python.helm_sdk_version()} "
            f"(helm-python-sdk), {sops_version.strip()}")


def measure(bench: Bench, *, quick: bool, results: pathlib.Path) -> dict:
    """Run one bench (or its fallback): {"bench", "command", "data"} or {"bench", "command", "error"}."""
    if bench.fallback and not (BENCH / bench.name / "run.py").exists():
        return measure(FALLBACKS[bench.fallback], quick=quick, results=results)
    chosen = bench.quick if quick else bench.full
    found = {"bench": bench.name, "command": command_line(bench.name, chosen)}
    try:
        data = run_script(bench, chosen, results)
        figures.EXTRACTORS[bench.name](data)  # the shape is checked now, while a fallback can still run
        return {**found, "data": data}
    except (RuntimeError, KeyError, ValueError, subprocess.TimeoutExpired) as exc:
        if bench.fallback:
            print(f"  {exc!r}; falling back to bench/{bench.fallback}", flush=True)
            return measure(FALLBACKS[bench.fallback], quick=quick, results=results)
        return {**found, "error": f"{type(exc).__name__}: {exc}"}


def sections(measured: list[dict], *, plot: str) -> list[writing.Section]:
    """The page's sections from what the benches measured; `plot` (relative to the page) goes under the engine's."""
    known = {bench.name: bench for bench in [*BENCHES, *FALLBACKS.values()]}
    found = []
    for item in measured:
        bench = known[item["bench"]]
        if "error" in item:
            found.append(writing.Section(bench.title, item["command"], [], error=item["error"], baseline=bench.baseline))
            continue
        found.append(writing.Section(bench.title, item["command"], figures.EXTRACTORS[bench.name](item["data"]),
                                     baseline=bench.baseline, plot=plot if bench.name == "engine" and plot else ""))
    return found


def write_page(measured: list[dict], run: writing.Run, *, out: pathlib.Path, plot: pathlib.Path) -> None:
    """docs/benchmarks.md (or OUT) and the SVG plot of the engine's sizes."""
    engine = next((item["data"] for item in measured if item["bench"] == "engine" and "data" in item), None)
    drawn = ""
    if engine and engine["sizes"]:
        plot.parent.mkdir(parents=True, exist_ok=True)
        loaded = "loaded machine; " if run.loaded else ""
        plot.write_text(writing.plot_svg(figures.plot_points(engine),
                                         caption=f"{run.date}; {loaded}{run.machine.split(',')[0]}; ConfigMaps, no wait"))
        drawn = os.path.relpath(plot, out.parent)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(writing.markdown(sections(measured, plot=drawn), run))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run, written outside docs/")
    parser.add_argument("--only", default="", help="comma-separated benchmarks: " + ",".join(b.name for b in BENCHES))
    parser.add_argument("--out", type=pathlib.Path, help="the page (default docs/benchmarks.md; quick: .deploykit/bench/quick/)")
    parser.add_argument("--plot", type=pathlib.Path, help="the SVG (default docs/images/benchmarks.svg)")
    parser.add_argument("--results", type=pathlib.Path, help="logs and results.json (default .deploykit/bench/MODE/)")
    parser.add_argument("--from-results", type=pathlib.Path, metavar="JSON",
                        help="rewrite the page from an earlier run's results.json, running nothing")
    args = parser.parse_args()
    results = args.results or REPO / ".deploykit" / "bench" / ("quick" if args.quick else "full")
    results.mkdir(parents=True, exist_ok=True)
    out = args.out or (results / "benchmarks.md" if args.quick else REPO / "docs" / "benchmarks.md")
    plot = args.plot or (out.parent / "benchmarks.svg" if args.quick else REPO / "docs" / "images" / "benchmarks.svg")
    if args.from_results:
        earlier = json.loads(args.from_results.read_text())
        write_page(earlier["measured"], writing.Run(**earlier["run"]), out=out, plot=plot)
        print(f"wrote {out} from {args.from_results}")
        return 0
    # the venv's commands first, as in an activated venv: the sops loop of bench/decrypt calls `sops` from PATH
    os.environ["PATH"] = f"{pathlib.Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    only = set(filter(None, args.only.split(",")))
    started, load_before = time.monotonic(), os.getloadavg()[0]
    measured = []
    for bench in [bench for bench in BENCHES if not only or bench.name in only]:
        print(f"bench/{bench.name} ...", flush=True)
        began = time.monotonic()
        measured.append(measure(bench, quick=args.quick, results=results))
        print(f"bench/{measured[-1]['bench']}: {time.monotonic() - began:.0f} s {measured[-1].get('error', '')}",
              flush=True)
    cores = os.cpu_count() or 1
    loaded = os.environ.get("BENCH_LOADED") or (
        f"load average {load_before:.1f} on {cores} cores before the run" if load_before > 0.5 * cores else "")
    invocation = "make bench" + (" BENCH_QUICK=1" if args.quick else "") + (f" BENCH_ONLY={args.only}" if only else "")
    run = writing.Run(date=datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                      machine=machine(), loaded=loaded, duration=time.monotonic() - started, command=invocation,
                      quick=args.quick)
    write_page(measured, run, out=out, plot=plot)
    (results / "results.json").write_text(json.dumps({"run": dataclasses.asdict(run), "measured": measured}, indent=1))
    print(f"wrote {out} ({run.duration / 60:.1f} min); raw figures and logs in {results}")
    return 1 if any("error" in item for item in measured) else 0


if __name__ == "__main__":
    sys.exit(main())

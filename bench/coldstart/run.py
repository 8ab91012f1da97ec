"""bench/coldstart: the cold start of a CI job, deploykit vs Helm 4, as whole new processes, side by side.

Run: .venv/bin/python bench/coldstart/run.py [--templates 300] [--repeat 7] [--json FILE] [--baseline DIR]

Every CI job is a new process, so this measures whole processes (interpreter,
imports, work, exit), from the same venv, in one run:

- template: `deploykit template bench CHART -n bench` (the compiled-template
  cache on disk, as a CI job that keeps $DEPLOYKIT_CACHE_DIR sees it) vs Helm 4's
  engine in a new python process (`helm_python.Chart.load(CHART).render(...)`,
  output printed as `helm template` does; the helm_python import, which starts
  the Go runtime, is reported on its own);
- no-op upgrade: `deploykit upgrade bench CHART -n NS` of a release already
  deployed with the same inputs vs `helm_python.Config(...).upgrade(CHART,
  "bench", {}, max_history=10)` in a new python process (Helm writes a new
  revision each time; deploykit finds nothing to do), both against one
  simulator (`deploykit sim serve`, its own process).

The chart is bench/render/generate.py's (Deployments, Services and ConfigMaps
in turn), in Jinja2 for deploykit and Go templates for Helm, same objects.
Repetitions are interleaved (each round runs every case once, in a rotated
order) and medians are printed, so a busy machine slows both sides alike; on a
shared machine the figures are still noisy. The children run with bytecode
written and kept (PYTHONDONTWRITEBYTECODE unset), as an installed package is.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import resource
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "bench" / "render"))

import generate  # noqa: E402
import simserver  # noqa: E402

HELM_TEMPLATE = """
import sys, time
started = time.perf_counter()
import helm_python
imported = time.perf_counter()
rendered = helm_python.Chart.load(sys.argv[1]).render(name="bench", namespace="bench")
sys.stdout.write("".join(f"---\\n# Source: {name}\\n{text}" for name, text in sorted(rendered.items())))
sys.stderr.write(f"IMPORT {imported - started}\\n")
"""

HELM_UPGRADE = """
import sys, time
started = time.perf_counter()
import helm_python
imported = time.perf_counter()
with helm_python.Config(kubeconfig_path=sys.argv[2], kube_context="deploykit-sim", namespace=sys.argv[3]) as client:
    client.upgrade(sys.argv[1], "bench", {}, namespace=sys.argv[3], max_history=10)
sys.stderr.write(f"IMPORT {imported - started}\\n")
"""


def timed(command: list[str], env: dict[str, str], cwd: pathlib.Path) -> tuple[float, float, float | None]:
    """(wall seconds of the whole process, its CPU seconds (user + system, all threads), the import time it
    reported, if any); fails loudly. Run in `cwd`, not the repository: `python -m` puts the working folder
    first on the import path, which would shadow the deploykit of PYTHONPATH or of the venv."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the simulator is reaped only at the end: not counted
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[:4])} exited {done.returncode}:\n{done.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    reported = [line.split()[1] for line in done.stderr.splitlines() if line.startswith("IMPORT ")]
    return wall, cpu, float(reported[0]) if reported else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--templates", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=7, help="rounds; each runs every case once")
    parser.add_argument("--json", metavar="FILE", help="also write the medians (seconds) and ratios as JSON")
    parser.add_argument("--baseline", metavar="DIR", help="also measure the deploykit of this checkout (PYTHONPATH=DIR), "
                        "interleaved: a before/after in one run")
    args = parser.parse_args()
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="bench-coldstart-") as tmp:
        root = pathlib.Path(tmp)
        ours, helms = generate.generate(str(root / "charts"), count=args.templates)
        kubeconfig = str(root / "kubeconfig")
        env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
        env.update(DEPLOYKIT_CACHE_DIR=str(root / "dk-cache"), HELM_CACHE_HOME=str(root / "helm-cache"),
                   HELM_CONFIG_HOME=str(root / "helm-config"), HELM_DATA_HOME=str(root / "helm-data"),
                   KUBECONFIG=kubeconfig)
        with simserver.simulator("--kubeconfig-out", kubeconfig, env=env):
            timed([python, "-m", "deploykit", "upgrade", "bench", ours, "-n", "dk", "--install", "--create-namespace"],
                  env, root)
            timed([python, "-c", "import helm_python, sys\n"
                   "with helm_python.Config(kubeconfig_path=sys.argv[2], kube_context='deploykit-sim') as c:\n"
                   "    c.install(sys.argv[1], 'bench', {}, namespace='helm', create_namespace=True)\n",
                   helms, kubeconfig], env, root)
            base_env = {**env, "PYTHONPATH": args.baseline} if args.baseline else env
            cases = {
                "python_start": [python, "-c", "pass"],
                "dk_template": [python, "-m", "deploykit", "template", "bench", ours, "-n", "bench"],
                "helm_template": [python, "-c", HELM_TEMPLATE, helms],
                "dk_noop_upgrade": [python, "-m", "deploykit", "upgrade", "bench", ours, "-n", "dk"],
                "helm_noop_upgrade": [python, "-c", HELM_UPGRADE, helms, kubeconfig, "helm"],
            }
            envs = {name: env for name in cases}
            if args.baseline:
                for name in ("dk_template", "dk_noop_upgrade"):
                    cases[f"{name}_baseline"], envs[f"{name}_baseline"] = cases[name], base_env
            for name, command in cases.items():  # bytecode written, compiled templates cached, first-call costs paid
                timed(command, envs[name], root)
            measured = [subprocess.run([python, "-c", "import deploykit; print(deploykit.__file__)"], capture_output=True,
                                       text=True, env=each, cwd=root).stdout.strip() for each in (env, base_env)]
            walls: dict[str, list[float]] = {name: [] for name in cases}
            cpus: dict[str, list[float]] = {name: [] for name in cases}
            imports: list[float] = []
            names = list(cases)
            for round_ in range(args.repeat):
                for name in names[round_ % len(names):] + names[:round_ % len(names)]:
                    wall, cpu, imported = timed(cases[name], envs[name], root)
                    walls[name].append(wall)
                    cpus[name].append(cpu)
                    if imported is not None and name == "helm_template":
                        imports.append(imported)
    medians = {name: statistics.median(values) for name, values in walls.items()}
    cpu_medians = {name: statistics.median(values) for name, values in cpus.items()}
    result = {
        "templates": args.templates, "repeat": args.repeat, "median_seconds": medians,
        "median_cpu_seconds": cpu_medians,
        "helm_python_import_seconds": statistics.median(imports),
        "ratio_template": medians["dk_template"] / medians["helm_template"],
        "ratio_noop_upgrade": medians["dk_noop_upgrade"] / medians["helm_noop_upgrade"],
        "runs_seconds": walls, "deploykit": measured[0], "baseline": measured[1] if args.baseline else None,
    }
    print(f"whole new processes, {args.templates}-template chart, median of {args.repeat} interleaved rounds "
          "(a shared machine: noisy figures)")
    print(f"deploykit measured: {measured[0]}" + (f"; baseline: {measured[1]}" if args.baseline else ""))
    print(f"{'':34} {'deploykit':>10} {'helm 4':>10} {'ratio':>7}   CPU: {'deploykit':>9} {'helm 4':>9} {'ratio':>6}")
    rows = [("template (compiled cache on disk)", "dk_template", "helm_template"),
            ("no-op upgrade (one simulator)", "dk_noop_upgrade", "helm_noop_upgrade")]
    if args.baseline:
        rows += [("baseline: template", "dk_template_baseline", "helm_template"),
                 ("baseline: no-op upgrade", "dk_noop_upgrade_baseline", "helm_noop_upgrade")]
    for label, ours_key, theirs_key in rows:
        mine, theirs = medians[ours_key], medians[theirs_key]
        mine_cpu, theirs_cpu = cpu_medians[ours_key], cpu_medians[theirs_key]
        print(f"{label:34} {mine * 1000:8.0f}ms {theirs * 1000:8.0f}ms {mine / theirs:7.2f}        "
              f"{mine_cpu * 1000:7.0f}ms {theirs_cpu * 1000:7.0f}ms {mine_cpu / theirs_cpu:6.2f}")
    print(f"python -c pass: {medians['python_start'] * 1000:.0f}ms; "
          f"helm_python import (Go runtime): {result['helm_python_import_seconds'] * 1000:.0f}ms; "
          "the ratio is of wall times (CPU: user + system of all the process's threads)")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()

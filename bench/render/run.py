"""Render benchmark: deploykit (Jinja2, to typed objects) vs Helm 4's engine (Go templates, to text).

    .venv/bin/python bench/render/run.py [--templates 300] [--repeat 20] [--json]

Generates the same chart in both template languages (bench/render/generate.py),
checks that both render to the same objects, then measures, in one run:

- cold: a new process with an empty compiled-template cache (deploykit) /
  a new process (Helm): chart load + render, timed inside the process, and
  the process's whole wall time (interpreter, imports, Go runtime);
- cold, cache warm: a new deploykit process whose compiled templates are on
  disk from an earlier run (what a CI job sees from its second stage on);
- warm: repeated load + render in one process (median of --repeat).

deploykit's side is the public render action (`deploykit.release.rendering.render`:
load, compose values, resolve subcharts, render, parse to objects, check, sort);
Helm's is `helm_python.Chart.load(path).render(...)`.

The Go-template rows render the Helm chart through deploykit (its Helm engine,
deploykit.charts.gotemplates): once as the whole render action (with the checks
Helm does not make: structure, duplicates, the target version's schemas), once
as the engine step alone (Helm load + render, read back into typed objects),
against Helm 4 alone on the same chart. Target for the engine step: <= 1.1x.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import generate  # noqa: E402

DEPLOYKIT_CHILD = """
import json, sys, time
t0 = time.perf_counter()
from deploykit.release import rendering
from deploykit.release.inputs import RenderOptions
t1 = time.perf_counter()
result = rendering.render(RenderOptions(chart=sys.argv[1], release="bench", namespace="bench"))
t2 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "render": t2 - t1, "objects": len(result.rendered.manifests)}))
"""

HELM_CHILD = """
import json, sys, time
t0 = time.perf_counter()
import helm_python
t1 = time.perf_counter()
chart = helm_python.Chart.load(sys.argv[1])
out = chart.render(name="bench", namespace="bench")
t2 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "render": t2 - t1, "objects": len(out)}))
"""


def _child(code: str, chart: str, env: dict[str, str]) -> dict:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code, chart], capture_output=True, text=True, env=env, check=True)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["wall"] = time.perf_counter() - started
    return figures


def _median(runs: list[dict], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def _normal(obj: dict) -> str:
    """An object without what legitimately differs: the namespace deploykit fills, Release.Service."""
    metadata = {k: v for k, v in obj["metadata"].items() if k != "namespace"}
    metadata["labels"] = {k: v for k, v in metadata.get("labels", {}).items() if k != "app.kubernetes.io/managed-by"}
    return json.dumps({**obj, "metadata": metadata}, sort_keys=True)


def _same_objects(deploykit_chart: str, helm_chart: str) -> bool:
    import yaml

    import helm_python
    from deploykit.release import rendering
    from deploykit.release.inputs import RenderOptions

    ours = rendering.render(RenderOptions(chart=deploykit_chart, release="bench", namespace="bench")).rendered.manifests
    mine = sorted(_normal(m.obj) for m in ours)
    theirs_text = helm_python.Chart.load(helm_chart).render(name="bench", namespace="bench")
    theirs = sorted(
        _normal(doc)
        for name, text in theirs_text.items()
        if not name.endswith("NOTES.txt")
        for doc in yaml.safe_load_all(text)
        if doc
    )
    return mine == theirs


def _helm_engine_step(chart_path: str):
    """deploykit's Helm engine step alone on a loaded, resolved chart: Helm load + render, read back into typed objects."""
    from deploykit.charts import context, gotemplates, loading, resolving
    from deploykit.charts.rendering import Target
    from deploykit.values import merging

    chart = loading.load_chart(chart_path)
    tree = resolving.resolve(chart, chart.values, merge=merging.merge)
    target = Target(release=context.ReleaseInfo(Name="bench", Namespace="bench"))
    # the values as the render action hands them over (composed values less what equals the chart's defaults)
    return lambda: gotemplates.render(tree, chart_path=chart_path, values=gotemplates.helm_values(chart.values, chart.values),
                                      target=target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--templates", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--cold-runs", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="end with one line of JSON: every row by its label")
    parser.add_argument("--go-only", action="store_true", help="only the warm Go-template rows (no Jinja2, no new processes)")
    args = parser.parse_args()

    import helm_python
    from deploykit.release import rendering
    from deploykit.release.inputs import RenderOptions

    with tempfile.TemporaryDirectory(prefix="deploykit-bench-") as root:
        ours, helms = generate.generate(root, count=args.templates)
        # The children keep their bytecode as an installed package does (a session may export PYTHONDONTWRITEBYTECODE).
        env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
        print(f"chart: {args.templates} templates; same objects from both: {_same_objects(ours, helms)}")
        if args.go_only:
            args.cold_runs = 0
        cold_ours = []
        for run in range(args.cold_runs):
            env["DEPLOYKIT_CACHE_DIR"] = os.path.join(root, f"cache-empty-{run}")
            cold_ours.append(_child(DEPLOYKIT_CHILD, ours, env))
        env["DEPLOYKIT_CACHE_DIR"] = os.path.join(root, "cache-empty-0")  # filled by the first cold run
        cold_cached = [_child(DEPLOYKIT_CHILD, ours, env) for _ in range(args.cold_runs)]
        cold_helm = [_child(HELM_CHILD, helms, env) for _ in range(args.cold_runs)]
        cold_ours_go = [_child(DEPLOYKIT_CHILD, helms, env) for _ in range(args.cold_runs)]

        os.environ["DEPLOYKIT_CACHE_DIR"] = os.path.join(root, "cache-warm")
        options = RenderOptions(chart=ours, release="bench", namespace="bench")
        rendering.render(options)
        helm_python.Chart.load(helms).render(name="bench", namespace="bench")
        go_options = RenderOptions(chart=helms, release="bench", namespace="bench")
        go_engine = _helm_engine_step(helms)
        rendering.render(go_options)
        warm_ours, warm_helm, warm_go, warm_go_engine, warm_helm_loaded = [], [], [], [], []
        loaded_once = helm_python.Chart.load(helms)
        for _ in range(args.repeat):
            if not args.go_only:
                started = time.perf_counter()
                rendering.render(options)
                warm_ours.append(time.perf_counter() - started)
            started = time.perf_counter()
            helm_python.Chart.load(helms).render(name="bench", namespace="bench")
            warm_helm.append(time.perf_counter() - started)
            started = time.perf_counter()
            rendering.render(go_options)
            warm_go.append(time.perf_counter() - started)
            started = time.perf_counter()
            go_engine()
            warm_go_engine.append(time.perf_counter() - started)
            started = time.perf_counter()
            loaded_once.render(name="bench", namespace="bench")
            warm_helm_loaded.append(time.perf_counter() - started)

    go_rows = [
        (f"Go-template chart, warm: render action, Helm engine (median of {args.repeat})", statistics.median(warm_go), statistics.median(warm_helm)),
        (f"Go-template chart, warm: Helm engine step alone (median of {args.repeat})", statistics.median(warm_go_engine), statistics.median(warm_helm)),
        (f"Go-template chart, warm: Helm engine step alone (best of {args.repeat})", min(warm_go_engine), min(warm_helm)),
        # deploykit keeps Helm's loaded chart between renders of unchanged files: Helm alone doing the same
        ("Go-template chart, warm: engine step vs Helm rendering a chart loaded once (median)", statistics.median(warm_go_engine),
         statistics.median(warm_helm_loaded)),
    ]
    rows = go_rows if args.go_only else [
        ("cold: load+render in a new process, empty cache", _median(cold_ours, "render"), _median(cold_helm, "render")),
        ("cold: load+render in a new process, compiled cache on disk", _median(cold_cached, "render"), _median(cold_helm, "render")),
        ("cold: whole process, library API (the CLI's: bench/coldstart)", _median(cold_cached, "wall"),
         _median(cold_helm, "wall")),
        (f"warm: load+render again in-process (median of {args.repeat})", statistics.median(warm_ours), statistics.median(warm_helm)),
        (f"warm: load+render again in-process (best of {args.repeat})", min(warm_ours), min(warm_helm)),
        ("Go-template chart, cold: load+render in a new process", _median(cold_ours_go, "render"), _median(cold_helm, "render")),
        *go_rows,
    ]
    print(f"{'':74} {'deploykit':>10} {'helm 4':>10} {'ratio':>7}")
    for label, mine, theirs in rows:
        print(f"{label:74} {mine * 1000:8.1f}ms {theirs * 1000:8.1f}ms {mine / theirs:7.2f}")
    if not args.go_only:
        print(f"imports: deploykit {_median(cold_cached, 'import') * 1000:.0f}ms, helm_python (Go runtime) {_median(cold_helm, 'import') * 1000:.0f}ms")
    if args.json:
        print(json.dumps({"templates": args.templates, "repeat": args.repeat, "cold_runs": args.cold_runs,
                          "rows": [{"label": label, "deploykit": mine, "helm": theirs} for label, mine, theirs in rows]}))


if __name__ == "__main__":
    main()

"""bench/failfast: how fast a crash-looping rollout is reported, deploykit's tracker vs Helm 4's --wait.

Run: .venv/bin/python bench/failfast/run.py [--runs 5] [--helm-timeout 60] [--speed 1] [--replicas 2] [--json]

One simulator (`deploykit sim serve`, controllers at real-time speed 1: a
pod starts in about half a second, the kubelet backs off 10 s, 20 s, ...)
serves both sides. The chart is tests/data/charts/sim-web with
`sim.deploykit.io/behavior: crashloop` on its pod template. Each side
installs it into a fresh namespace while a separate watch on that
namespace's pods notes when the simulated kubelet first writes a container
waiting in CrashLoopBackOff (client receive time, same clock):

- deploykit: the objects (rendered by Helm's engine, so both sides apply the
  very same manifests) are applied with server-side apply
  (deploykit.kube) and tracked (deploykit.track.Tracker, default settings:
  fail on the first fatal signal). Measured: first CrashLoopBackOff -> the
  Failed verdict printed, and -> the tracker returned (last log lines
  fetched). Repeated --runs times; median and max printed.
- Helm 4 (helm-python-sdk, wait="watcher", timeout --helm-timeout):
  first CrashLoopBackOff -> install() raising its error. Once.

Target: <= 1 s for deploykit.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import sys
import tempfile
import time

import helm_python
from helm_python import Config
from helm_python.errors import HelmError

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import simserver  # noqa: E402
from simserver import create_namespace  # noqa: E402

from deploykit.kube.client import Kube  # noqa: E402
from deploykit.secrets import kubesecrets  # noqa: E402
from deploykit.track.printing import LinePrinter  # noqa: E402
from deploykit.track.tracking import Tracker, TrackOptions  # noqa: E402

CHART = REPO / "tests" / "data" / "charts" / "sim-web"
CRASHLOOP = {"sim.deploykit.io/behavior": "crashloop", "sim.deploykit.io/logs": "fatal: cannot reach database"}


def rendered_objects(namespace: str, replicas: int) -> list[dict]:
    import yaml

    files = helm_python.Chart.load(str(CHART)).render(
        {"replicas": replicas, "annotations": CRASHLOOP}, name="web", namespace=namespace, is_install=True)
    objects = []
    for path, text in sorted(files.items()):
        if "/templates/" not in path or path.endswith("NOTES.txt"):
            continue
        for doc in yaml.safe_load_all(text):
            if doc:
                doc.setdefault("metadata", {}).setdefault("namespace", namespace)
                objects.append(doc)
    return objects


class TimedPrinter(LinePrinter):
    """Quiet printer that notes when the failure is printed."""

    def __init__(self) -> None:
        super().__init__(lambda line: None)
        self.failed_at: float | None = None

    def failure(self, name, verdict, logs) -> None:
        self.failed_at = time.monotonic()


def deploykit_run(url: str, kubeconfig: pathlib.Path, namespace: str, replicas: int) -> tuple[float, float, str]:
    create_namespace(url, namespace)
    watcher = simserver.FirstCrashLoop(url, namespace)
    watcher.start()
    watcher.ready.wait(5)
    objects = rendered_objects(namespace, replicas)
    printer = TimedPrinter()
    with Kube.connect(kubeconfig=kubeconfig) as kube:
        for obj in objects:
            kube.apply(obj)
        result = Tracker(kube, printer=printer, options=TrackOptions(timeout=120, show_logs=False),
                         on_secret=kubesecrets.register).track(objects)
        returned = time.monotonic()
    watcher.join(5)
    if result.ok or watcher.at is None or printer.failed_at is None:
        raise SystemExit(f"deploykit run in {namespace}: unexpected outcome ok={result.ok} first={watcher.at}")
    # The tracker and the bench's own watcher see the same event on two watch streams; when the tracker's verdict
    # comes first, the latency is below what this can measure: 0, not a negative figure.
    return max(0.0, printer.failed_at - watcher.at), max(0.0, returned - watcher.at), result.failed.reason


def helm_run(url: str, kubeconfig: pathlib.Path, namespace: str, replicas: int, timeout: int) -> tuple[float, str]:
    create_namespace(url, namespace)
    watcher = simserver.FirstCrashLoop(url, namespace)
    watcher.start()
    watcher.ready.wait(5)
    with Config(kubeconfig_path=str(kubeconfig), kube_context="deploykit-sim", namespace=namespace) as helm:
        try:
            helm.install(str(CHART), "web", {"replicas": replicas, "annotations": CRASHLOOP}, namespace=namespace,
                         wait="watcher", timeout=timeout)
            outcome = "no error"
        except HelmError as exc:
            outcome = str(exc).splitlines()[0][:140]
        failed_at = time.monotonic()
    watcher.join(5)
    if watcher.at is None:
        raise SystemExit("helm run: no CrashLoopBackOff seen")
    return failed_at - watcher.at, outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--helm-timeout", type=int, default=60)
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--skip-helm", action="store_true", help="measure deploykit only")
    parser.add_argument("--json", action="store_true", help="end with one line of JSON holding every figure")
    args = parser.parse_args()
    report: dict = {"runs": args.runs, "helm_timeout": args.helm_timeout, "replicas": args.replicas}
    with tempfile.TemporaryDirectory(prefix="bench-failfast-") as tmp:
        root = pathlib.Path(tmp)
        kubeconfig = root / "kubeconfig"
        os.environ.setdefault("HELM_CACHE_HOME", str(root / "helm-cache"))
        with simserver.simulator("--speed", str(args.speed), "--kubeconfig-out", str(kubeconfig)) as url:
            print(f"simulator {url}, speed {args.speed:g}, chart sim-web with {args.replicas} crash-looping replicas")
            verdicts, returns = [], []
            for run in range(args.runs):
                verdict, returned, reason = deploykit_run(url, kubeconfig, f"dk-{run}", args.replicas)
                verdicts.append(verdict)
                returns.append(returned)
            print(f"deploykit: first CrashLoopBackOff -> Failed verdict: median {statistics.median(verdicts):.3f} s, "
                  f"max {max(verdicts):.3f} s over {args.runs} runs")
            print(f"deploykit: first CrashLoopBackOff -> tracker returned: median {statistics.median(returns):.3f} s, "
                  f"max {max(returns):.3f} s")
            print(f"  deploykit said: {reason[:140]}")
            report.update(verdict_median=statistics.median(verdicts), verdict_max=max(verdicts),
                          returned_median=statistics.median(returns))
            if not args.skip_helm:
                helm_seconds, outcome = helm_run(url, kubeconfig, "helm", args.replicas, args.helm_timeout)
                print(f"Helm 4 (wait=watcher, timeout {args.helm_timeout} s): first CrashLoopBackOff -> error: "
                      f"{helm_seconds:.3f} s")
                print(f"  Helm said: {outcome}")
                print(f"ratio deploykit / Helm (median verdict): {statistics.median(verdicts) / helm_seconds:.4f}")
                report["helm_seconds"] = helm_seconds
    if args.json:
        print(json.dumps(report))


if __name__ == "__main__":
    main()

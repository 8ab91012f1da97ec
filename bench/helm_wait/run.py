"""bench/helm_wait: how long Helm 4's --wait takes to report a crash-looping rollout: the baseline to beat.

Run: .venv/bin/python bench/helm_wait/run.py [--timeout 60] [--speed 1] [--replicas 2]

Starts `deploykit sim serve` (its controllers at the given speed; 1 is real
time: a pod starts in about half a second, the kubelet backs off 10 s, 20 s,
40 s ...), then installs with Helm 4 (helm-python-sdk, Helm's Go SDK) and
`wait="watcher"` (Helm 4's kstatus watcher):

1. a healthy chart (tests/data/charts/sim-web: a 3-replica Deployment and a
   Service): how long the wait takes to return `deployed`;
2. the same chart with `sim.deploykit.io/behavior: crashloop` on the pod
   template: how long Helm takes to report the failure, measured from the
   install call and from the first CrashLoopBackOff status the simulated
   kubelet writes (a watch on the namespace's pods notes it). kstatus treats
   CrashLoopBackOff as "in progress", so Helm only fails when its timeout
   expires; issue 6's tracker is measured against the second figure.

Prints one line per figure; everything runs on loopback.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import tempfile
import time

from helm_python import Config
from helm_python.errors import HelmError

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import simserver  # noqa: E402
from simserver import create_namespace  # noqa: E402


CHART = pathlib.Path(__file__).resolve().parents[2] / "tests" / "data" / "charts" / "sim-web"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--timeout", type=int, default=60, help="Helm's wait timeout in seconds")
    parser.add_argument("--speed", type=float, default=1.0, help="simulated cluster speed (1: real time)")
    parser.add_argument("--replicas", type=int, default=2, help="replicas of the crash-looping Deployment")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-helm-wait-") as tmp:
        root = pathlib.Path(tmp)
        kubeconfig = root / "kubeconfig"
        with simserver.simulator("--speed", str(args.speed), "--kubeconfig-out", str(kubeconfig)) as url:
            chart = CHART
            os.environ.setdefault("HELM_CACHE_HOME", str(root / "helm-cache"))
            print(f"simulator: {url} (speed {args.speed:g}); Helm 4 wait=watcher, timeout {args.timeout} s")

            create_namespace(url, "healthy")
            with Config(kubeconfig_path=str(kubeconfig), kube_context="deploykit-sim", namespace="healthy") as helm:
                started = time.monotonic()
                release = helm.install(str(chart), "web", namespace="healthy", wait="watcher", timeout=args.timeout)
                print(f"healthy chart:      Helm returned {release['status']!r} after "
                      f"{time.monotonic() - started:.2f} s")

            create_namespace(url, "crashing")
            watcher = simserver.FirstCrashLoop(url, "crashing")
            watcher.start()
            watcher.ready.wait(5)
            values = {"replicas": args.replicas, "annotations": {"sim.deploykit.io/behavior": "crashloop"}}
            with Config(kubeconfig_path=str(kubeconfig), kube_context="deploykit-sim", namespace="crashing") as helm:
                started = time.monotonic()
                try:
                    helm.install(str(chart), "web", values, namespace="crashing", wait="watcher",
                                 timeout=args.timeout)
                    outcome = "no error (!)"
                except HelmError as exc:
                    outcome = f"error: {str(exc).splitlines()[0][:160]}"
                failed_at = time.monotonic()
            watcher.join(5)
            first = watcher.at
            print(f"crash-looping chart: first CrashLoopBackOff {first - started:.2f} s after install"
                  if first else "crash-looping chart: no CrashLoopBackOff seen")
            print(f"crash-looping chart: Helm reported failure {failed_at - started:.2f} s after install"
                  + (f", {failed_at - first:.2f} s after the first CrashLoopBackOff" if first else ""))
            print(f"  Helm said: {outcome}")


if __name__ == "__main__":
    main()

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
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from helm_python import Config
from helm_python.errors import HelmError

DEPLOYKIT = str(pathlib.Path(sys.executable).parent / "deploykit")

CHART = pathlib.Path(__file__).resolve().parents[2] / "tests" / "data" / "charts" / "sim-web"


def create_namespace(url: str, name: str) -> None:
    body = json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}).encode()
    request = urllib.request.Request(f"{url}/api/v1/namespaces", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=10).read()


def first_crash_loop(url: str, namespace: str, seen: dict[str, float], stop: threading.Event) -> None:
    """Note when a pod of `namespace` first shows a container waiting in CrashLoopBackOff."""
    with urllib.request.urlopen(f"{url}/api/v1/namespaces/{namespace}/pods?watch=1&timeoutSeconds=600",
                                timeout=600) as stream:
        for line in stream:
            if stop.is_set():
                return
            pod = json.loads(line)["object"]
            for status in (pod.get("status") or {}).get("containerStatuses") or ():
                waiting = (status.get("state") or {}).get("waiting") or {}
                if waiting.get("reason") == "CrashLoopBackOff" and "at" not in seen:
                    seen["at"] = time.monotonic()
                    return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--timeout", type=int, default=60, help="Helm's wait timeout in seconds")
    parser.add_argument("--speed", type=float, default=1.0, help="simulated cluster speed (1: real time)")
    parser.add_argument("--replicas", type=int, default=2, help="replicas of the crash-looping Deployment")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-helm-wait-") as tmp:
        root = pathlib.Path(tmp)
        kubeconfig = root / "kubeconfig"
        server = subprocess.Popen([DEPLOYKIT, "sim", "serve", "--speed", str(args.speed), "--kubeconfig-out",
                                   str(kubeconfig)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            line = server.stdout.readline()
            url = line.split("listening on ", 1)[1].split()[0]
            # keep draining the server's output: a full pipe would stall the simulator
            threading.Thread(target=lambda: [None for _ in server.stdout], daemon=True).start()
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
            seen: dict[str, float] = {}
            stop = threading.Event()
            watcher = threading.Thread(target=first_crash_loop, args=(url, "crashing", seen, stop), daemon=True)
            watcher.start()
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
            stop.set()
            first = seen.get("at")
            print(f"crash-looping chart: first CrashLoopBackOff {first - started:.2f} s after install"
                  if first else "crash-looping chart: no CrashLoopBackOff seen")
            print(f"crash-looping chart: Helm reported failure {failed_at - started:.2f} s after install"
                  + (f", {failed_at - first:.2f} s after the first CrashLoopBackOff" if first else ""))
            print(f"  Helm said: {outcome}")
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()

"""bench/rollout: how fast the simulated cluster rolls out Deployments at its default speed.

Run: .venv/bin/python bench/rollout/run.py [--runs 10] [--speed 1]

Starts an in-process simulator with its controllers (speed 1 is the default
of `deploykit sim serve`) and measures, over HTTP like any client, the time
from creating a 3-replica Deployment to its Available condition and
availableReplicas == 3; then 100 such Deployments created at once. The
issue's figure: a 3-replica Deployment Available in well under 2 s.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import statistics
import sys
import time
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))

from deploykit.sim import embedded  # noqa: E402


def call(url: str, method: str, path: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url + path, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def deployment(name: str) -> dict:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "app", "image": "registry.example.com/app:1"}]}}}}


def available(obj: dict) -> bool:
    status = obj.get("status") or {}
    conditions = {c["type"]: c["status"] for c in status.get("conditions") or []}
    return status.get("availableReplicas") == 3 and conditions.get("Available") == "True" \
        and status.get("observedGeneration") == obj["metadata"]["generation"]


def wait_all(url: str, namespace: str, names: list[str], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    pending = set(names)
    while pending:
        if time.monotonic() > deadline:
            raise SystemExit(f"not available after {timeout} s: {sorted(pending)[:5]}")
        items = call(url, "GET", f"/apis/apps/v1/namespaces/{namespace}/deployments")["items"]
        pending -= {d["metadata"]["name"] for d in items if available(d)}
        time.sleep(0.005)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--speed", type=float, default=1.0)
    args = parser.parse_args()
    with embedded.running(speed=args.speed) as handle:
        url = handle.url
        singles = []
        for run in range(args.runs):
            namespace = f"one-{run}"
            call(url, "POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
            started = time.monotonic()
            call(url, "POST", f"/apis/apps/v1/namespaces/{namespace}/deployments", deployment("web"))
            wait_all(url, namespace, ["web"])
            singles.append(time.monotonic() - started)
        call(url, "POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "many"}})
        names = [f"web-{index}" for index in range(100)]
        started = time.monotonic()
        for name in names:
            call(url, "POST", "/apis/apps/v1/namespaces/many/deployments", deployment(name))
        wait_all(url, "many", names)
        many = time.monotonic() - started
    print(f"speed {args.speed:g}: one 3-replica Deployment Available in median {statistics.median(singles):.3f} s, "
          f"max {max(singles):.3f} s over {args.runs} runs")
    print(f"speed {args.speed:g}: 100 Deployments x 3 replicas (300 pods) all Available in {many:.2f} s")


if __name__ == "__main__":
    main()

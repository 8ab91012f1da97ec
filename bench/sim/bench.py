"""Simulator throughput: server-side applies/s (1 and 8 clients), list latency (1,000 objects), watch fan-out.

Runs `deploykit sim serve --no-controllers` in its own process (as users and CI
do) and drives it over loopback HTTP with aiohttp from this process, so server
and client each get a core. `--controllers` runs it with the simulated
controllers on, which then also roll out every applied Deployment (a different,
heavier workload). There is no other Kubernetes API server on this machine to
compare against; the figures are absolute. Usage:

    .venv/bin/python bench/sim/bench.py [--applies 1600] [--objects 1000] [--watchers 20] [--events 200] [--controllers]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import pathlib
import statistics
import sys
import time

import aiohttp

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import simserver  # noqa: E402
APPLY = "application/apply-patch+yaml"


def deployment(name: str, image: str) -> bytes:
    return json.dumps({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name, "team": "bench"}},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{
                     "name": "app", "image": image, "ports": [{"containerPort": 8080}],
                     "env": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "MODE", "value": "bench"}]}]}}},
    }).encode()


async def apply_loop(session: aiohttp.ClientSession, url: str, client: int, count: int) -> list[float]:
    latencies = []
    for i in range(count):
        name = f"c{client}-d{i % 20}"
        body = deployment(name, f"reg/app:{i // 20}")
        started = time.perf_counter()
        async with session.patch(
            f"{url}/apis/apps/v1/namespaces/bench/deployments/{name}?fieldManager=bench&force=true",
            data=body, headers={"Content-Type": APPLY},
        ) as response:
            await response.read()
            assert response.status in (200, 201), response.status
        latencies.append(time.perf_counter() - started)
    return latencies


async def applies_per_second(url: str, clients: int, total: int) -> tuple[float, float]:
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as session:
        await apply_loop(session, url, 99, 40)  # warm-up: creates, caches
        started = time.perf_counter()
        results = await asyncio.gather(*(apply_loop(session, url, c, total // clients) for c in range(clients)))
        elapsed = time.perf_counter() - started
    latencies = [x for r in results for x in r]
    return len(latencies) / elapsed, statistics.median(latencies) * 1000


async def list_latency(url: str, objects: int) -> tuple[float, float, int]:
    async with aiohttp.ClientSession() as session:
        await session.post(f"{url}/api/v1/namespaces", json={"metadata": {"name": "listing"}})
        sem = asyncio.Semaphore(16)

        async def create(i: int) -> None:
            async with sem:
                async with session.post(f"{url}/api/v1/namespaces/listing/configmaps",
                                        json={"metadata": {"name": f"cm-{i:04d}", "labels": {"i": str(i % 10)}},
                                              "data": {"key": "x" * 200}}) as response:
                    await response.read()

        await asyncio.gather(*(create(i) for i in range(objects)))
        timings = []
        size = 0
        for _ in range(20):
            started = time.perf_counter()
            async with session.get(f"{url}/api/v1/namespaces/listing/configmaps") as response:
                body = await response.read()
            timings.append(time.perf_counter() - started)
            size = len(body)
        selected = []
        for _ in range(20):
            started = time.perf_counter()
            async with session.get(f"{url}/api/v1/namespaces/listing/configmaps?labelSelector=i%3D3") as response:
                await response.read()
            selected.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000, statistics.median(selected) * 1000, size


async def watch_fan_out(url: str, watchers: int, events: int) -> tuple[float, float, float]:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=watchers + 4)) as session:
        await session.post(f"{url}/api/v1/namespaces", json={"metadata": {"name": "watching"}})
        async with session.get(f"{url}/api/v1/namespaces/watching/configmaps") as response:
            rv = (await response.json())["metadata"]["resourceVersion"]
        sent: dict[str, float] = {}
        received: list[float] = []
        done = asyncio.Event()
        counts = [0] * watchers

        async def watch(index: int) -> None:
            async with session.get(f"{url}/api/v1/namespaces/watching/configmaps?watch=1&resourceVersion={rv}",
                                   timeout=aiohttp.ClientTimeout(total=None)) as response:
                async for line in response.content:
                    event = json.loads(line)
                    name = event["object"]["metadata"]["name"]
                    received.append(time.perf_counter() - sent[name])
                    counts[index] += 1
                    if all(c >= events for c in counts):
                        done.set()
                    if counts[index] >= events:
                        return

        tasks = [asyncio.create_task(watch(i)) for i in range(watchers)]
        await asyncio.sleep(0.5)
        started = time.perf_counter()
        for i in range(events):
            name = f"w-{i}"
            sent[name] = time.perf_counter()
            async with session.post(f"{url}/api/v1/namespaces/watching/configmaps",
                                    json={"metadata": {"name": name}}) as response:
                await response.read()
        await asyncio.wait_for(done.wait(), timeout=60)
        elapsed = time.perf_counter() - started
        for task in tasks:
            task.cancel()
    return (watchers * events) / elapsed, statistics.median(received) * 1000, max(received) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applies", type=int, default=1600)
    parser.add_argument("--objects", type=int, default=1000)
    parser.add_argument("--watchers", type=int, default=20)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--controllers", action="store_true", help="run the simulated controllers too")
    args = parser.parse_args()

    mode = "--controllers" if args.controllers else "--no-controllers"
    print(f"deploykit sim serve {mode}")
    with simserver.simulator(mode, env=dict(os.environ, PYTHONOPTIMIZE="1")) as url:

        async def run() -> None:
            async with aiohttp.ClientSession() as session:
                await session.post(f"{url}/api/v1/namespaces", json={"metadata": {"name": "bench"}})
            one, one_ms = await applies_per_second(url, 1, args.applies)
            print(f"server-side apply, 1 client:   {one:7.0f} applies/s  (median {one_ms:.2f} ms)")
            eight, eight_ms = await applies_per_second(url, 8, args.applies)
            print(f"server-side apply, 8 clients:  {eight:7.0f} applies/s  (median {eight_ms:.2f} ms)")
            full, selected, size = await list_latency(url, args.objects)
            print(f"list {args.objects} ConfigMaps:          {full:7.1f} ms median ({size / 1e6:.2f} MB); "
                  f"with a label selector: {selected:.1f} ms")
            rate, median, worst = await watch_fan_out(url, args.watchers, args.events)
            print(f"watch fan-out to {args.watchers} watchers:  {rate:7.0f} events/s delivered; "
                  f"write-to-watcher latency median {median:.1f} ms, max {worst:.1f} ms")

        asyncio.run(run())


if __name__ == "__main__":
    main()

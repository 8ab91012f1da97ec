"""Shared by the benches: run `deploykit sim serve` in its own process, and small HTTP helpers.

Import with `sys.path.insert(0, <repo>/bench)`; `import simserver`.
"""

from __future__ import annotations

import contextlib
import json
import pathlib
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator

DEPLOYKIT = str(pathlib.Path(sys.executable).parent / "deploykit")
RSS_WRAPPER = (
    "import resource, subprocess, sys, time\n"
    "start = time.monotonic(); done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "print(done.returncode, time.monotonic() - start, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    "sys.stdout.write(done.stdout[-4000:]); sys.stderr.write(done.stderr[-4000:])\n"
)


def measured(command: list[str], env: dict[str, str] | None = None) -> tuple[float, int, str]:
    """Run a command as a process of its own; (seconds, peak RSS in MB, its stdout). Exits loudly if it fails."""
    done = subprocess.run([sys.executable, "-c", RSS_WRAPPER, *command], capture_output=True, text=True, env=env)
    first, _, output = done.stdout.partition("\n")
    code, seconds, rss = first.split()
    if code != "0":
        raise SystemExit(f"{' '.join(command[:4])} exited {code}:\n{output}{done.stderr}")
    return float(seconds), int(rss) // 1024, output


@contextlib.contextmanager
def simulator(*options: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """Start `deploykit sim serve OPTIONS...`, yield its URL, stop it afterwards."""
    server = subprocess.Popen([DEPLOYKIT, "sim", "serve", "--port", "0", *options], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, env=env)
    try:
        first = server.stdout.readline()
        if "listening on " not in first:
            raise SystemExit(f"the simulator did not start: {first.strip()}")
        # keep draining the server's output: a full pipe would stall the simulator
        threading.Thread(target=lambda: [None for _ in server.stdout], daemon=True).start()
        yield first.split("listening on ", 1)[1].split()[0]
    finally:
        server.terminate()
        server.wait(10)


def create_namespace(url: str, name: str) -> None:
    body = json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}).encode()
    request = urllib.request.Request(f"{url}/api/v1/namespaces", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=10).read()


class FirstCrashLoop(threading.Thread):
    """Watch a namespace's pods; note when a container first waits in CrashLoopBackOff."""

    def __init__(self, url: str, namespace: str) -> None:
        super().__init__(daemon=True)
        self.url, self.namespace, self.at = url, namespace, None
        self.ready = threading.Event()

    def run(self) -> None:
        with urllib.request.urlopen(
                f"{self.url}/api/v1/namespaces/{self.namespace}/pods?watch=1&timeoutSeconds=600", timeout=600) as stream:
            self.ready.set()
            for line in stream:
                pod = json.loads(line)["object"]
                for status in (pod.get("status") or {}).get("containerStatuses") or ():
                    if ((status.get("state") or {}).get("waiting") or {}).get("reason") == "CrashLoopBackOff":
                        self.at = time.monotonic()
                        return

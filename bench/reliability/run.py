"""Reliability as issue 13 states it, at full size: 20 pipeline runs under API faults, and a 30 s API outage.

    .venv/bin/python bench/reliability/run.py [--runs 20] [--parallel 5] [--outage 30]

1. Faults: `deploykit sim serve --latency 0.2 --error-rate 0.1 --error-codes
   429,500,503 --watch-close-after 2` (its own process, controllers at speed
   20). `--parallel` releases, each in its own namespace and project, each
   deployed build after build by `deploykit pipeline run` until `--runs` runs
   are done. Every run must exit 0 with a `success` report; every history
   must be 1..n with the last deployed and the others superseded.
2. Outage: a simulator with `--state DIR`; build 1 deployed, build 2 tracked
   when the server is stopped for `--outage` seconds and restarted on the same
   port and state. The run must end with exit 3; the next run must succeed
   and leave a consistent history.

The suite runs the same scenarios scaled down (tests/integration/reliability/
test_api_faults.py: 8 runs, an outage past a 4 s stage timeout). Prints what
it measured; exits 1 if a check failed.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import pathlib
import socket
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.integration.reliability.conftest import Project, new_project, report_of  # noqa: E402
from tests.plugins.secrets import AGE_KEY_FILE, AGE_RECIPIENT, SopsProject  # noqa: E402

DEPLOYKIT = str(pathlib.Path(sys.executable).parent / "deploykit")
FAULTS = ("--latency", "0.2", "--error-rate", "0.1", "--error-codes", "429,500,503", "--watch-close-after", "2")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(port: int, kubeconfig: pathlib.Path, *options: str) -> subprocess.Popen[str]:
    server = subprocess.Popen([DEPLOYKIT, "sim", "serve", "--port", str(port), "--speed", "20",
                               "--kubeconfig-out", str(kubeconfig), *options],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    first = server.stdout.readline()
    if "listening on " not in first:
        raise SystemExit(f"the simulator did not start: {first.strip()}")
    return server


def sops_project(root: pathlib.Path) -> SopsProject:
    root.mkdir(parents=True)
    (root / ".sops.yaml").write_text(f"creation_rules:\n  - path_regex: secrets/.*\\.yaml$\n    age: {AGE_RECIPIENT}\n")
    env = {**os.environ, "SOPS_AGE_KEY_FILE": str(AGE_KEY_FILE), "HOME": str(root)}
    return SopsProject(root=root, env=env)


def consistent_history(project: Project) -> bool:
    history = project.history()
    return project.consistent() == [] and history[-1][1] == "deployed"


def faults(base: pathlib.Path, runs: int, parallel: int) -> bool:
    port, kubeconfig = free_port(), base / "faults.kubeconfig"
    server = serve(port, kubeconfig, *FAULTS)
    try:
        secrets = sops_project(base / "faults")
        projects = [new_project(secrets, base / "faults-tmp", kubeconfig=str(kubeconfig), name=f"r{i}")
                    for i in range(parallel)]
        builds = [runs // parallel + (i < runs % parallel) for i in range(parallel)]

        def deploy(project: Project, count: int) -> list[tuple[int, str, float]]:
            done = []
            for build in range(1, count + 1):
                project.set_values(tag=str(build))
                started = time.monotonic()
                finished = project.stage()
                done.append((finished.returncode, report_of(project)["status"], time.monotonic() - started))
            return done

        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(parallel) as pool:
            results = [r for rs in pool.map(deploy, projects, builds) for r in rs]
        wall = time.monotonic() - started
        ok = sum(code == 0 and status == "success" for code, status, _ in results)
        histories = sum(consistent_history(p) for p in projects)
        seconds = sorted(s for _, _, s in results)
        print(f"faults (latency 0.2 s, 10% 429/500/503, watches closed every 2 s): {ok}/{len(results)} runs "
              f"succeeded; consistent histories {histories}/{len(projects)}; per run median "
              f"{seconds[len(seconds) // 2]:.1f} s, max {seconds[-1]:.1f} s; {wall:.0f} s wall with {parallel} in parallel")
        return ok == len(results) and histories == len(projects)
    finally:
        server.terminate()
        server.wait(30)


def outage(base: pathlib.Path, seconds: float) -> bool:
    port, kubeconfig, state = free_port(), base / "outage.kubeconfig", base / "outage-state"
    server = serve(port, kubeconfig, "--state", str(state))
    try:
        project = new_project(sops_project(base / "outage"), base / "outage-tmp", kubeconfig=str(kubeconfig),
                              timeout="5m")
        if project.stage().returncode != 0:
            print("outage: build 1 did not deploy")
            return False
        project.set_values(tag="2", behavior="ready-after:6000s")  # 300 s at speed 20: still tracking when cut
        process = project.start(project.stage_args())
        for line in process.stdout:
            if "applying" in line:
                break
        time.sleep(1)
        server.terminate()
        server.wait(30)
        cut = time.monotonic()
        out, err = process.communicate(timeout=seconds + 120)
        ended = time.monotonic() - cut
        time.sleep(max(0.0, seconds - (time.monotonic() - cut)))
        server = serve(port, kubeconfig, "--state", str(state))
        project.set_values(tag="2")
        again = project.stage()
        recovered = again.returncode == 0 and consistent_history(project) and project.running_tag() == "2"
        print(f"outage ({seconds:.0f} s): the run ended {ended:.1f} s after the cut with exit {process.returncode}; "
              f"the next run exited {again.returncode}, history {project.history()}, "
              f"{'recovered' if recovered else 'NOT recovered'}")
        if process.returncode != 3:
            print(out[-2000:] + err[-2000:])
        return process.returncode == 3 and recovered
    finally:
        server.terminate()
        server.wait(30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--parallel", type=int, default=5)
    parser.add_argument("--outage", type=float, default=30.0)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="deploykit-reliability-") as folder:
        base = pathlib.Path(folder)
        results = [faults(base, options.runs, options.parallel), outage(base, options.outage)]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())

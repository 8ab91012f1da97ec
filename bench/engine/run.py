"""bench/engine: the release engine against Helm 4 on one simulator, in one run.

Run: .venv/bin/python bench/engine/run.py [--objects 1000] [--sizes 100,1000,5000] [--noop-objects 500]
     [--helm-timeout 30] [--skip-helm] [--json] [--baseline DIR] [--rounds N]
     [--repeats N] [--repeat-max-objects 1000]

`--repeats N` installs and upgrades each size up to --repeat-max-objects N
times with both tools (fresh namespaces) and reports the medians: one run is
noisy on a shared 2-core machine (make bench: 3 rounds up to 1,000 objects;
5,000 objects once, Helm's upgrade alone takes ~30 s).

`--baseline DIR` also measures the deploykit of another checkout
(PYTHONPATH=DIR, e.g. a worktree of main) against the same simulator,
interleaved with this one (install and upgrade in namespaces of their own,
`--rounds` times, medians): a before/after in one run on a shared machine.

One simulator (`deploykit sim serve` in its own process, controllers on,
speed 1) serves both sides. The charts are generated twice from the same
data, as Jinja2 (deploykit) and as Go templates (Helm), so both apply the
very same objects: N ConfigMaps (`--objects`), each holding `version`.

Measured, each side in a fresh namespace:
- install of the N-object release, then an upgrade changing every object:
  wall time; deploykit as a whole `deploykit upgrade --install` process (start
  included; install measured with the compiled-template cache kept, as the
  README asks of CI, and once with an empty one), Helm as a new Python
  process making the helm-python-sdk call (its time inside the process, the
  call alone, is kept too); peak RSS of each process (getrusage of a
  wrapper's child). `--sizes` measures several object counts in one run.
- no-op upgrade of a `--noop-objects` release (same inputs again): wall time and
  writes, counted as the growth of the cluster's resourceVersion (ConfigMaps
  have no controller: every bump is a write by the client). Helm writes a new
  release record on every upgrade.
- failure -> previous revision ready again: a 2-replica Deployment is
  installed, then upgraded to a crash-looping build. From the first
  CrashLoopBackOff the kubelet reports (a separate watch) to the moment the
  previous ReplicaSet's pods are all ready again and the tool has returned.
  deploykit: atomic by default; Helm: `rollback_on_failure` with wait
  "watcher" and --helm-timeout (it waits for the timeout before rolling back).

Targets (issue 10): install and upgrade <= 0.5x Helm's wall time; no-op
upgrade <= 2 s with zero writes; failure -> previous ready <= 2 s; peak RSS of
the N-object upgrade <= 200 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time
import urllib.request

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))

import simserver  # noqa: E402

DEPLOYKIT = str(pathlib.Path(sys.executable).parent / "deploykit")
# Helm 4 as a process of its own: the SDK call in a new interpreter; prints the call's own seconds.
HELM_CHILD = (
    "import sys, time\n"
    "from helm_python import Config\n"
    "kubeconfig, chart, namespace, action, version = sys.argv[1:6]\n"
    "values = {'version': version} if version else {}\n"
    "with Config(kubeconfig_path=kubeconfig, kube_context='deploykit-sim', namespace=namespace) as client:\n"
    "    start = time.monotonic()\n"
    "    if action == 'install':\n"
    "        client.install(chart, 'r', values, namespace=namespace, create_namespace=True)\n"
    "    else:\n"
    "        client.upgrade(chart, 'r', values, namespace=namespace)\n"
    "    print(time.monotonic() - start)\n"
)
CRASH = {"sim.deploykit.io/behavior": "crashloop", "sim.deploykit.io/logs": "fatal: cannot reach database"}


def write_charts(root: pathlib.Path, name: str, objects: int) -> tuple[pathlib.Path, pathlib.Path]:
    """(Jinja2 chart, Go-template chart) of `objects` ConfigMaps holding Values.version.

    One template per ConfigMap up to 1,000 objects; above, several per template
    (a chart holds at most 5,000 files, as Helm's loader allows).
    """
    per_file = -(-objects // 1000)
    charts = []
    for flavour, ref in (("jinja", "{{ Values.version }}"), ("helm", "{{ .Values.version }}")):
        chart = root / flavour / name
        (chart / "templates").mkdir(parents=True)
        (chart / "Chart.yaml").write_text(f"apiVersion: v2\nname: {name}\nversion: 1.0.0\n")
        (chart / "values.yaml").write_text("version: \"1\"\n")
        for first in range(0, objects, per_file):
            (chart / "templates" / f"cm-{first:05d}.yaml").write_text("---\n".join(
                f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{index:05d}\n"
                f"data:\n  version: \"{ref}\"\n  payload: \"{'x' * 64}\"\n"
                for index in range(first, min(first + per_file, objects))))
        charts.append(chart)
    return charts[0], charts[1]


def write_app_charts(root: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path]:
    charts = []
    for flavour, annotations, replicas in (("jinja", "{{ Values.annotations | to_json }}", "{{ Values.replicas }}"),
                                           ("helm", "{{ toJson .Values.annotations }}", "{{ .Values.replicas }}")):
        chart = root / flavour / "app"
        (chart / "templates").mkdir(parents=True)
        (chart / "Chart.yaml").write_text("apiVersion: v2\nname: app\nversion: 1.0.0\n")
        (chart / "values.yaml").write_text("replicas: 2\nannotations: {}\n")
        (chart / "templates" / "deployment.yaml").write_text(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\nspec:\n"
            f"  replicas: {replicas}\n  selector: {{matchLabels: {{app: app}}}}\n  template:\n"
            f"    metadata:\n      labels: {{app: app}}\n      annotations: {annotations}\n"
            "    spec:\n      containers: [{name: app, image: \"registry.example.com/app:1\"}]\n")
        charts.append(chart)
    return charts[0], charts[1]


def resource_version(url: str) -> int:
    with urllib.request.urlopen(f"{url}/api/v1/configmaps?limit=1") as answer:
        return int(json.load(answer)["metadata"]["resourceVersion"])


def deploykit(kubeconfig: pathlib.Path, *args: str, env: dict[str, str] | None = None) -> tuple[float, int]:
    """Run a deploykit command in a wrapper (`env`: another checkout's); (seconds, peak RSS in MB)."""
    seconds, rss, _ = simserver.measured([DEPLOYKIT, *args, "--kubeconfig", str(kubeconfig)], env=env)
    return seconds, rss


def checkout_env(baseline: str | None) -> dict[str, dict[str, str] | None]:
    """The deploykit checkouts measured: this one (inherited environment) and the baseline's, if any."""
    sides: dict[str, dict[str, str] | None] = {"dk": None}
    if baseline:
        sides["base"] = {**os.environ, "PYTHONPATH": str(pathlib.Path(baseline).resolve())}
    return sides


def bench_checkouts(kubeconfig: pathlib.Path, jinja: pathlib.Path, objects: int, sides: dict, rounds: int) -> dict:
    """Install then upgrade, each checkout in turn, `rounds` times in fresh namespaces: median seconds per side."""
    import statistics

    times: dict[str, list[float]] = {f"{side}_{what}": [] for side in sides for what in ("install", "upgrade")}
    for round_number in range(rounds):
        for side, env in sides.items():
            ns = f"{side}-{objects}-r{round_number}"
            times[f"{side}_install"].append(deploykit(kubeconfig, "upgrade", "r", str(jinja), "--install",
                                                      "--create-namespace", "-n", ns, "--no-wait", env=env)[0])
        for side, env in sides.items():
            ns = f"{side}-{objects}-r{round_number}"
            times[f"{side}_upgrade"].append(deploykit(kubeconfig, "upgrade", "r", str(jinja), "-n", ns,
                                                      "--set-string", "version=2", "--no-wait", env=env)[0])
    return {key: statistics.median(values) for key, values in times.items()}


def helm_process(kubeconfig: pathlib.Path, chart: pathlib.Path, namespace: str, action: str, version: str = "") -> tuple:
    """Helm 4 install or upgrade in a process of its own; (seconds, peak RSS in MB, seconds of the SDK call)."""
    seconds, rss, output = simserver.measured(
        [sys.executable, "-c", HELM_CHILD, str(kubeconfig), str(chart), namespace, action, version])
    return seconds, rss, float(output.split()[-1])


def bench_size(url: str, kubeconfig: pathlib.Path, root: pathlib.Path, objects: int, helm_too: bool, *,
               noop: bool = True, repeats: int = 1) -> dict:
    """Install then upgrade `objects` objects with each tool, `repeats` times in fresh namespaces (medians of the
    times, the largest peak RSS); the install with an empty compiled-template cache and the no-op upgrade once."""
    import statistics

    jinja, gotpl = write_charts(root / f"n{objects}", f"n{objects}", objects)
    found: dict = {"objects": objects, "repeats": repeats}
    found["dk_install_cold"], _ = deploykit(  # an empty compiled-template cache: a CI job that does not keep it
        kubeconfig, "upgrade", "r", str(jinja), "--install", "--create-namespace", "-n", f"dk-{objects}-cold", "--no-wait")
    runs: dict[str, list] = {}

    def note(keys: tuple[str, ...], figures: tuple) -> None:
        for key, value in zip(keys, figures):
            runs.setdefault(key, []).append(value)

    for round_number in range(repeats):
        suffix = f"-r{round_number}" if round_number else ""
        ns = f"dk-{objects}{suffix}"
        note(("dk_install", "dk_install_rss"), deploykit(
            kubeconfig, "upgrade", "r", str(jinja), "--install", "--create-namespace", "-n", ns, "--no-wait"))
        note(("dk_upgrade", "dk_upgrade_rss"), deploykit(
            kubeconfig, "upgrade", "r", str(jinja), "-n", ns, "--set-string", "version=2", "--no-wait"))
        if helm_too:
            ns = f"helm-{objects}{suffix}"
            note(("helm_install", "helm_install_rss", "helm_install_call"), helm_process(kubeconfig, gotpl, ns, "install"))
            note(("helm_upgrade", "helm_upgrade_rss", "helm_upgrade_call"),
                 helm_process(kubeconfig, gotpl, ns, "upgrade", "2"))
    for key, values in runs.items():
        found[key] = max(values) if key.endswith("_rss") else statistics.median(values)
    if noop:  # in the first round's namespaces, already upgraded to version 2
        before = resource_version(url)
        found["dk_noop"], _ = deploykit(kubeconfig, "upgrade", "r", str(jinja), "-n", f"dk-{objects}",
                                        "--set-string", "version=2", "--no-wait")
        found["dk_noop_writes"] = resource_version(url) - before
        if helm_too:
            before = resource_version(url)
            found["helm_noop"], _, found["helm_noop_call"] = helm_process(kubeconfig, gotpl, f"helm-{objects}",
                                                                          "upgrade", "2")
            found["helm_noop_writes"] = resource_version(url) - before
    return found


def watch_first_crash(url: str, namespace: str):
    watcher = simserver.FirstCrashLoop(url, namespace)
    watcher.start()
    watcher.ready.wait(5)
    return watcher


def bench_rollback(url: str, kubeconfig: pathlib.Path, root: pathlib.Path, helm: bool, helm_timeout: int) -> dict:
    jinja, gotpl = write_app_charts(root / "app")
    found = {}
    ns = "dk-rollback"
    deploykit(kubeconfig, "upgrade", "app", str(jinja), "--install", "--create-namespace", "-n", ns)
    watcher = watch_first_crash(url, ns)
    crash = json.dumps(CRASH)
    done = subprocess.run([DEPLOYKIT, "upgrade", "app", str(jinja), "-n", ns, "--set-json", f"annotations={crash}",
                           "--kubeconfig", str(kubeconfig)], capture_output=True, text=True)
    returned = time.monotonic()
    watcher.join(5)
    if done.returncode != 1 or watcher.at is None:
        raise SystemExit(f"deploykit rollback run: exit {done.returncode}, crash seen {watcher.at}\n{done.stderr}")
    found["dk_failure_to_previous_ready"] = returned - watcher.at
    if helm:
        from helm_python import Config
        from helm_python.errors import HelmError

        ns = "helm-rollback"
        with Config(kubeconfig_path=str(kubeconfig), kube_context="deploykit-sim", namespace=ns) as client:
            client.install(str(gotpl), "app", {}, namespace=ns, create_namespace=True, wait="watcher", timeout=60)
            watcher = watch_first_crash(url, ns)
            try:
                client.upgrade(str(gotpl), "app", {"annotations": CRASH}, namespace=ns, wait="watcher",
                               timeout=helm_timeout, rollback_on_failure=True)
            except HelmError:
                pass
            returned = time.monotonic()
            watcher.join(5)
            found["helm_failure_to_previous_ready"] = returned - watcher.at if watcher.at else None
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--objects", type=int, default=1000)
    parser.add_argument("--sizes", default="", help="object counts to install and upgrade, e.g. 100,1000,5000 "
                        "(instead of --objects)")
    parser.add_argument("--noop-objects", type=int, default=500)
    parser.add_argument("--helm-timeout", type=int, default=30)
    parser.add_argument("--skip-helm", action="store_true")
    parser.add_argument("--json", action="store_true", help="end with one line of JSON holding every figure")
    parser.add_argument("--baseline", metavar="DIR", help="also measure the deploykit of this checkout "
                        "(PYTHONPATH=DIR), interleaved: a before/after in one run")
    parser.add_argument("--repeats", type=int, default=1, help="install/upgrade each size this many times (fresh "
                        "namespaces, both tools) and report medians; with --repeat-max-objects, only sizes up to it")
    parser.add_argument("--repeat-max-objects", type=int, default=1000, metavar="N",
                        help="sizes above N objects are measured once (default 1000)")
    parser.add_argument("--rounds", type=int, default=3, help="install/upgrade rounds per checkout with "
                        "--baseline (medians)")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",") if size] or [args.objects]
    report: dict = {"sizes": [], "helm_timeout": args.helm_timeout}
    helm = not args.skip_helm
    if args.baseline:
        for side, env in checkout_env(args.baseline).items():
            where = subprocess.run([sys.executable, "-c", "import deploykit; print(deploykit.__file__)"],
                                   capture_output=True, text=True, env=env, cwd="/").stdout.strip()
            print(f"{'deploykit' if side == 'dk' else 'baseline'} measured: {where}")
    with tempfile.TemporaryDirectory(prefix="bench-engine-") as tmp:
        root = pathlib.Path(tmp)
        kubeconfig = root / "kubeconfig"
        os.environ.setdefault("HELM_CACHE_HOME", str(root / "helm-cache"))
        os.environ["DEPLOYKIT_CACHE_DIR"] = str(root / "dk-cache")
        with simserver.simulator("--kubeconfig-out", str(kubeconfig)) as url:
            for size in sorted({args.noop_objects, *sizes}):
                repeats = args.repeats if size <= args.repeat_max_objects else 1
                row = bench_size(url, kubeconfig, root, size, helm, noop=size == args.noop_objects, repeats=repeats)
                if size in sizes:
                    report["sizes"].append(row)
                if size == args.noop_objects:
                    report["noop"] = row
                    print(f"{size} objects: no-op upgrade: deploykit {row['dk_noop']:.2f} s with "
                          f"{row['dk_noop_writes']} writes" + (f"; Helm 4 {row['helm_noop']:.2f} s with "
                                                               f"{row['helm_noop_writes']} writes" if helm else ""))
                print(f"{size} objects" + (f", medians of {repeats} rounds" if repeats > 1 else "")
                      + f": deploykit install {row['dk_install']:.2f} s (cold template cache "
                      f"{row['dk_install_cold']:.2f} s; peak RSS {row['dk_install_rss']} MB), "
                      f"upgrade {row['dk_upgrade']:.2f} s (peak RSS {row['dk_upgrade_rss']} MB)")
                if helm:
                    print(f"{size} objects: Helm 4 (a new process each) install {row['helm_install']:.2f} s "
                          f"(peak RSS {row['helm_install_rss']} MB), upgrade {row['helm_upgrade']:.2f} s "
                          f"(peak RSS {row['helm_upgrade_rss']} MB)")
                    print(f"{size} objects: ratio deploykit / Helm: install {row['dk_install'] / row['helm_install']:.2f}, "
                          f"upgrade {row['dk_upgrade'] / row['helm_upgrade']:.2f}")
                if args.baseline and size in sizes:
                    sides = bench_checkouts(kubeconfig, root / f"n{size}" / "jinja" / f"n{size}", size,
                                            checkout_env(args.baseline), args.rounds)
                    row["interleaved"] = sides
                    print(f"{size} objects, interleaved medians of {args.rounds}: install deploykit "
                          f"{sides['dk_install']:.2f} s, baseline {sides['base_install']:.2f} s; upgrade deploykit "
                          f"{sides['dk_upgrade']:.2f} s, baseline {sides['base_upgrade']:.2f} s")
            row = bench_rollback(url, kubeconfig, root, helm, args.helm_timeout)
            report["rollback"] = row
            print(f"failure -> previous revision ready: deploykit {row['dk_failure_to_previous_ready']:.2f} s")
            if helm and row.get("helm_failure_to_previous_ready") is not None:
                print(f"failure -> previous revision ready: Helm 4 rollback_on_failure (timeout {args.helm_timeout} s) "
                      f"{row['helm_failure_to_previous_ready']:.2f} s")
    if args.json:
        print(json.dumps(report))


if __name__ == "__main__":
    main()

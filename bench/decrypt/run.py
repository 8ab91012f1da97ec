"""bench/decrypt: deploykit's decryption of 100 age-encrypted values files vs a sequential `sops decrypt` loop.

Run: .venv/bin/python bench/decrypt/run.py [--files 100] [--rounds 3]

Both sides use the same sops binary, the same files and the example age key
(keys/example/age.key). The baseline is what a helm-secrets style wrapper
does: one `sops decrypt FILE` after the other. deploykit decrypts with
`deploykit.secrets.decrypting.decrypt_files` (parallel, bounded by the
cores, output read from pipes), its per-run cache cleared before each round.
Rounds alternate between the sides; the best round of each is compared.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
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


def baseline(paths: list[Path], binary: Path) -> float:
    start = time.perf_counter()
    for path in paths:
        subprocess.run([str(binary), "decrypt", str(path)], check=True, capture_output=True)
    return time.perf_counter() - start


def deploykit_side(paths: list[Path]) -> float:
    decrypting.forget()
    start = time.perf_counter()
    results = decrypting.decrypt_files(paths)
    elapsed = time.perf_counter() - start
    assert len(results) == len(paths) and all(r.data for r in results)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ["SOPS_AGE_KEY_FILE"] = str(AGE_KEY)
    binary = sops.binary()
    with tempfile.TemporaryDirectory(prefix="bench-decrypt-") as tmp:
        paths = make_files(Path(tmp), args.files, binary.path)
        deploykit_side(paths[:2])  # warm-up: locate sops, check its version once
        base_times, dk_times = [], []
        for _ in range(args.rounds):
            base_times.append(baseline(paths, binary.path))
            dk_times.append(deploykit_side(paths))
    base, dk = min(base_times), min(dk_times)
    print(f"sops {'.'.join(map(str, binary.version))}, {args.files} age-encrypted files, "
          f"{decrypting.default_jobs()} cores, best of {args.rounds} rounds")
    print(f"baseline  sequential `sops decrypt` loop : {base:7.3f} s  ({base / args.files * 1000:5.1f} ms/file)  rounds: {', '.join(f'{t:.3f}' for t in base_times)}")
    print(f"deploykit decrypt_files (parallel)       : {dk:7.3f} s  ({dk / args.files * 1000:5.1f} ms/file)  rounds: {', '.join(f'{t:.3f}' for t in dk_times)}")
    print(f"ratio deploykit / baseline               : {dk / base:7.3f}  (target <= 0.5)")


if __name__ == "__main__":
    main()

"""The figures of `make bench`: each benchmark's JSON turned into rows of deploykit vs Helm 4, with their targets.

Pure: a script's JSON (the last line it prints with --json) in, `Figure`s
out. Targets come from the issues that set them (README, issue 6 to 13);
a figure without one is reported as measured. Must not: run anything or
read files (bench/run_all.py does).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable


@dataclasses.dataclass(frozen=True)
class Target:
    """`deploykit <= limit` (on="value", in the figure's unit) or `deploykit / helm <= limit` (on="ratio")."""

    limit: float
    on: str = "ratio"

    def text(self, unit: str) -> str:
        if self.on == "ratio":
            return f"ratio <= {self.limit:g}"
        return f"<= {self.limit:g} {unit}" if self.limit else f"0 {unit}"


@dataclasses.dataclass(frozen=True)
class Figure:
    name: str
    deploykit: float | None
    helm: float | None = None
    unit: str = "s"  # s, MB, writes
    target: Target | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.deploykit is None or not self.helm:
            return None
        return self.deploykit / self.helm

    @property
    def met(self) -> bool | None:
        """True or False against the target; None without a target or a figure to judge."""
        if self.target is None or self.deploykit is None:
            return None
        measured = self.ratio if self.target.on == "ratio" else self.deploykit
        return None if measured is None else measured <= self.target.limit


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "s":
        return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"
    if unit == "MB":
        return f"{value:.0f} MB"
    return f"{value:g} {unit}".rstrip()


RENDER_ROWS = (  # (label prefix in bench/render's JSON, figure name, target)
    ("warm: load+render again in-process (median", "warm (median)", Target(1.0)),
    ("warm: load+render again in-process (best", "warm (best)", None),
    ("cold: load+render in a new process, compiled cache", "cold, compiled cache on disk (render only)", None),
    ("cold: load+render in a new process, empty cache", "cold, empty cache (render only)", None),
    # The library API in a new process; issue 13's target is the `template` command's: the coldstart rows.
    ("cold: whole process", "cold, whole process with cache on disk, library API", None),
)


def render(data: dict) -> list[Figure]:
    """bench/render: rows matched by label, so a row another branch adds is shown too (without a target)."""
    found = []
    for row in data["rows"]:
        known = next((r for r in RENDER_ROWS if row["label"].startswith(r[0])), None)
        name = known[1] if known else row["label"]
        found.append(Figure(f"render {data['templates']} templates: {name}", row["deploykit"], row["helm"],
                            target=known[2] if known else None))
    order = [r[1] for r in RENDER_ROWS]
    return sorted(found, key=lambda f: next((i for i, n in enumerate(order) if f.name.endswith(n)), len(order)))


TARGET_OBJECTS = 1000  # issue 10's targets are set at 1,000 objects: install and upgrade <= 0.5x Helm, peak RSS <= 200 MB


def engine(data: dict) -> list[Figure]:
    found = []
    for row in data["sizes"]:
        n = row["objects"]
        speed = Target(0.5) if n == TARGET_OBJECTS else None
        found += [
            Figure(f"install, {n:,} objects", row["dk_install"], row.get("helm_install"), target=speed),
            Figure(f"install, {n:,} objects, empty template cache", row["dk_install_cold"], row.get("helm_install")),
            Figure(f"upgrade, {n:,} objects", row["dk_upgrade"], row.get("helm_upgrade"), target=speed),
            Figure(f"peak RSS, install of {n:,} objects", row["dk_install_rss"], row.get("helm_install_rss"),
                   unit="MB"),
            Figure(f"peak RSS, upgrade of {n:,} objects", row["dk_upgrade_rss"], row.get("helm_upgrade_rss"),
                   unit="MB", target=Target(200, on="value") if n == TARGET_OBJECTS else None),
        ]
    noop = data.get("noop")
    if noop:
        n = noop["objects"]
        found += [
            Figure(f"no-op upgrade, {n:,} objects: time", noop["dk_noop"], noop.get("helm_noop"),
                   target=Target(2, on="value")),
            Figure(f"no-op upgrade, {n:,} objects: writes", noop["dk_noop_writes"], noop.get("helm_noop_writes"),
                   unit="writes", target=Target(0, on="value"),
                   note="Helm writes a new release record every time"),
        ]
    rollback = data.get("rollback")
    if rollback:
        found.append(Figure("failure -> previous revision ready, tool returned", rollback["dk_failure_to_previous_ready"],
                            rollback.get("helm_failure_to_previous_ready"), target=Target(2, on="value"),
                            note=f"Helm: rollback_on_failure, wait=watcher, timeout {data['helm_timeout']} s"))
    return found


def failfast(data: dict) -> list[Figure]:
    return [Figure("first CrashLoopBackOff -> Failed verdict (median)", data["verdict_median"], data.get("helm_seconds"),
                   target=Target(1, on="value"),
                   note=f"Helm: wait=watcher, timeout {data['helm_timeout']} s; median of {data['runs']} deploykit runs")]


def pipeline(data: dict) -> list[Figure]:
    size = f"{data['stages']} stages x {data['releases']} releases"
    note = "Helm: a sequential upgrade --install --wait loop per stage (helmfile-like); no target set"
    return [Figure(f"pipeline, {size}: whole run", data["deploykit"], data.get("helm"), note=note),
            Figure(f"pipeline, {size}: peak RSS", data["deploykit_rss"], data.get("helm_rss"), unit="MB")]


def decrypt(data: dict) -> list[Figure]:
    n = data["files"]
    found = [Figure(f"decrypt {n} files vs a sequential loop of the sops Go binary (best)", data["deploykit_min"],
                    data["binary_min"], target=Target(0.5),
                    note="each sops call pays ~12 ms of Go start-up on both sides: 2 cores floor ~0.5")]
    if data.get("path_min"):
        found.append(Figure(f"decrypt {n} files vs a sequential `sops -d` loop (the `sops` command, best)",
                            data["deploykit_min"], data["path_min"], target=Target(0.5)))
    return found


def clistart(data: dict) -> list[Figure]:
    note = "Helm side: a new Python process importing helm_python; target: issue 13's cold start, 1.3x"
    return [Figure("`deploykit --version` as a new process (median)", data["deploykit_version"], data["helm_import"],
                   target=Target(1.3), note=note),
            Figure("`deploykit --help` as a new process (median)", data["deploykit_help"], data["helm_import"],
                   target=Target(1.3))]


def coldstart(data: dict) -> list[Figure]:
    """bench/coldstart (branch cold-start): whole new processes, medians in seconds; else the generic shape."""
    if "median_seconds" not in data:
        return generic(data)
    medians, n = data["median_seconds"], data["templates"]
    return [Figure(f"`deploykit template` of {n} templates, compiled cache on disk (median)", medians["dk_template"],
                   medians["helm_template"], target=Target(1.3),
                   note="Helm side: a new Python process rendering with helm_python"),
            Figure(f"no-op `upgrade` of the {n}-template release (median)", medians["dk_noop_upgrade"],
                   medians["helm_noop_upgrade"], target=Target(1.3),
                   note="Helm writes a new revision each time")]


def generic(data: dict) -> list[Figure]:
    """A script that reports its own figures: {"figures": [{"name", "deploykit", "helm", "unit", "target_ratio"}]}."""
    return [Figure(item["name"], item.get("deploykit"), item.get("helm"), unit=item.get("unit", "s"),
                   target=Target(item["target_ratio"]) if item.get("target_ratio") else None, note=item.get("note", ""))
            for item in data["figures"]]


EXTRACTORS: dict[str, Callable[[dict], list[Figure]]] = {
    "render": render, "engine": engine, "failfast": failfast, "pipeline": pipeline, "decrypt": decrypt,
    "clistart": clistart, "coldstart": coldstart,
}


def plot_points(data: dict) -> list[dict]:
    """bench/engine's sizes as plot points: objects, then seconds and MB of each tool for install and upgrade."""
    return [{"objects": row["objects"],
             "deploykit install": (row["dk_install"], row["dk_install_rss"]),
             "deploykit upgrade": (row["dk_upgrade"], row["dk_upgrade_rss"]),
             **({"Helm 4 install": (row["helm_install"], row["helm_install_rss"]),
                 "Helm 4 upgrade": (row["helm_upgrade"], row["helm_upgrade_rss"])} if "helm_install" in row else {})}
            for row in sorted(data["sizes"], key=lambda r: r["objects"])]

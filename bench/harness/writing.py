"""docs/benchmarks.md and its plot: the figures as Markdown tables, engine time and memory as an SVG line chart.

Pure: figures and a description of the run in, text out. The SVG is plain
1.1 (no script, no external font), readable on GitHub and GitLab. Must not:
run benchmarks or write files (bench/run_all.py does).
"""

from __future__ import annotations

import dataclasses
import math
from xml.sax.saxutils import escape

from harness.figures import Figure, format_value

VERDICTS = {True: "met", False: "**not met**", None: "-"}


@dataclasses.dataclass(frozen=True)
class Section:
    """One benchmark's figures and the command that reruns it (or why it did not run)."""

    title: str
    command: str
    figures: list[Figure]
    error: str = ""
    plot: str = ""  # an image shown under the table (path relative to the page)
    baseline: str = "Helm 4"


@dataclasses.dataclass(frozen=True)
class Run:
    date: str
    machine: str
    loaded: str  # "" on a quiet machine, else what made it loaded
    duration: float
    command: str
    quick: bool = False


def table(figures: list[Figure], baseline: str = "Helm 4") -> list[str]:
    lines = [f"| figure | deploykit | {baseline} | ratio | target | met |", "|---|---:|---:|---:|---|---|"]
    for figure in figures:
        ratio = "-" if figure.ratio is None else f"{figure.ratio:.2f}"
        target = figure.target.text(figure.unit) if figure.target else "-"
        name = figure.name + (f" ({figure.note})" if figure.note else "")
        lines.append(f"| {name} | {format_value(figure.deploykit, figure.unit)} | {format_value(figure.helm, figure.unit)}"
                     f" | {ratio} | {target} | {VERDICTS[figure.met]} |")
    return lines


def markdown(sections: list[Section], run: Run) -> str:
    """The whole benchmarks page: how it was measured, a summary of targets, a table per benchmark, the plot."""
    judged = [f for s in sections for f in s.figures if f.met is not None]
    lines = ["# Benchmarks", "",
             "deploykit side by side with Helm 4 (helm-python-sdk, Helm's Go SDK) on the same simulator "
             "(`deploykit sim serve`) in the same run. Written by `make bench`; do not edit by hand.", ""]
    if run.quick:
        lines += ["> **Quick smoke run (`BENCH_QUICK=1`): small sizes, figures not comparable with the targets.**", ""]
    if run.loaded:
        lines += [f"> **Measured on a loaded machine** ({run.loaded}): figures are noisy, ratios less so. "
                  "Rerun `make bench` on a quiet machine for the reference figures.", ""]
    lines += [f"- date: {run.date}", f"- machine: {run.machine}",
              f"- command: `{run.command}` ({run.duration / 60:.1f} min in all)",
              f"- targets: {sum(1 for f in judged if f.met)} of {len(judged)} met", "",
              "Times are wall clock; ratio is deploykit / the baseline, Helm 4 unless a table says otherwise "
              "(below 1: deploykit is faster or smaller). "
              "Peak RSS is the process's maximum resident set (getrusage of its parent).", ""]
    for section in sections:
        lines += [f"## {section.title}", "", f"    {section.command}", ""]
        if section.error:
            lines += [f"Did not run: {section.error}", ""]
            continue
        lines += [*table(section.figures, section.baseline), ""]
        if section.plot:
            lines += [f"![time and peak RSS against object count, deploykit and Helm 4]({section.plot})", ""]
    lines += ["## Not run by `make bench`", "",
              "The simulator's own figures have no Helm side: `bench/sim/bench.py` (applies/s, list latency, watch "
              "fan-out) and `bench/rollout/run.py` (how fast simulated Deployments become Available). "
              "`bench/helm_wait/run.py` is Helm's side of the failure verdict alone (the table above has it).", ""]
    return "\n".join(lines)


COLOURS = {"deploykit": "#0969da", "Helm 4": "#bc4c00"}
PANEL_WIDTH, PANEL_HEIGHT, LEFT, TOP, GAP = 400, 260, 64, 78, 90


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """0 and 1-2-5 steps up to at least `top`."""
    raw = max(top, 1e-9) / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(s * power for s in (1, 2, 5, 10) if s * power >= raw)
    return [step * i for i in range(int(math.ceil(top / step - 1e-9)) + 1)]


def _log_scale(counts: list[int]) -> bool:
    """Object counts that span a factor of 10 or more are drawn on a log scale."""
    return max(counts) >= 10 * min(counts)


def _x_positions(counts: list[int]) -> dict[int, float]:
    """Object counts across the panel width."""
    low, high = min(counts), max(counts)
    scale = (lambda v: math.log10(v)) if _log_scale(counts) else (lambda v: float(v))
    span = (scale(high) - scale(low)) or 1.0
    return {n: 20 + (PANEL_WIDTH - 40) * (scale(n) - scale(low)) / span for n in counts}


def _panel(points: list[dict], index: int, title: str, unit: str, x0: float) -> list[str]:
    series = [name for name in points[0] if name != "objects"]
    values = [p[name][index] for p in points for name in series if name in p]
    ticks = nice_ticks(max(values))
    xs = _x_positions([p["objects"] for p in points])
    y = lambda v: TOP + PANEL_HEIGHT * (1 - v / ticks[-1])  # noqa: E731
    out = [f'<text x="{x0 + PANEL_WIDTH / 2}" y="{TOP - 14}" text-anchor="middle" font-weight="bold">{escape(title)}</text>',
           f'<rect x="{x0}" y="{TOP}" width="{PANEL_WIDTH}" height="{PANEL_HEIGHT}" fill="none" stroke="#d0d7de"/>']
    for tick in ticks:
        out.append(f'<line x1="{x0}" x2="{x0 + PANEL_WIDTH}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" stroke="#eaeef2"/>')
        out.append(f'<text x="{x0 - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:g} {unit}</text>')
    for n, x in xs.items():
        out.append(f'<text x="{x0 + x:.1f}" y="{TOP + PANEL_HEIGHT + 18}" text-anchor="middle">{n:,}</text>')
    axis = "objects (log scale)" if _log_scale(list(xs)) else "objects"
    out.append(f'<text x="{x0 + PANEL_WIDTH / 2}" y="{TOP + PANEL_HEIGHT + 38}" text-anchor="middle">{axis}</text>')
    for name in series:
        colour = COLOURS["Helm 4" if name.startswith("Helm") else "deploykit"]
        dash = ' stroke-dasharray="6 4"' if name.endswith("upgrade") else ""
        coords = [(x0 + xs[p["objects"]], y(p[name][index])) for p in points if name in p]
        path = " ".join(f"{x:.1f},{v:.1f}" for x, v in coords)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
        out += [_marker(name, x, v, colour) for x, v in coords]
    return out


def _marker(name: str, x: float, y: float, colour: str) -> str:
    """A dot for install, a square for upgrade."""
    if name.endswith("install"):
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"/>'
    return f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" fill="{colour}"/>'


def plot_svg(points: list[dict], *, caption: str = "") -> str:
    """Time (left) and peak RSS (right) against object count, one line per tool and action."""
    if not points:
        raise ValueError("no points to plot")
    width = LEFT + 2 * PANEL_WIDTH + GAP + 24
    height = TOP + PANEL_HEIGHT + 90
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
           'font-family="sans-serif" font-size="12" fill="#1f2328">',
           f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
           f'<text x="{LEFT}" y="24" font-size="15" font-weight="bold">Install and upgrade, deploykit vs Helm 4 '
           f'(each a new process, same simulator)</text>']
    if caption:
        out.append(f'<text x="{LEFT}" y="42" fill="#57606a">{escape(caption)}</text>')
    out += _panel(points, 0, "wall time", "s", LEFT)
    out += _panel(points, 1, "peak RSS", "MB", LEFT + PANEL_WIDTH + GAP)
    series = [name for name in points[0] if name != "objects"]
    x = LEFT
    for name in series:
        colour = COLOURS["Helm 4" if name.startswith("Helm") else "deploykit"]
        dash = ' stroke-dasharray="6 4"' if name.endswith("upgrade") else ""
        legend_y = height - 18
        out.append(f'<line x1="{x}" x2="{x + 28}" y1="{legend_y - 4}" y2="{legend_y - 4}" stroke="{colour}" '
                   f'stroke-width="2"{dash}/>')
        out.append(_marker(name, x + 14, legend_y - 4, colour))
        out.append(f'<text x="{x + 34}" y="{legend_y}">{escape(name)}</text>')
        x += 34 + 7 * len(name) + 24
    out.append("</svg>")
    return "\n".join(out) + "\n"

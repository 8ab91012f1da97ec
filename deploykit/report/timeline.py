"""`timeline.svg`: one bar per object from its apply to ready (green) or failure (red, with the reason), on a time axis.

Pure: a report in, SVG text out. Times are seconds since the stage started;
objects without an apply time (unchanged, deleted) get a row without a bar.
Must not: write files or depend on a renderer (the SVG is plain 1.1, text
in sans-serif, readable in a browser, GitLab and GitHub).
"""

from __future__ import annotations

import math

from deploykit.report import model, xmltext

WIDTH, LABEL_WIDTH, RIGHT_MARGIN, ROW, TOP = 960, 300, 24, 26, 74
CHAR = 6.6  # average width of a 12 px sans-serif character, to fit labels
COLOURS = {"ready": "#2da44e", "failed": "#cf222e", "applied": "#8c959f"}
STATUS_COLOURS = {model.SUCCESS: "#1a7f37", model.FAILED: "#cf222e", model.ROLLED_BACK: "#bc4c00"}


def _fit(text: str, room: float, size: int = 12, *, bold: bool = False) -> str:
    most = max(int(room / (CHAR * size / 12 * (1.16 if bold else 1.0))), 1)
    return text if len(text) <= most else text[: max(most - 1, 0)] + "…"


def nice_step(span: float, ticks: int = 8) -> float:
    """A 1-2-5 step that cuts `span` seconds into at most about `ticks` parts."""
    raw = max(span, 0.001) / ticks
    power = 10 ** math.floor(math.log10(raw))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= raw)


def _bar(item: model.ObjectReport, origin: float) -> tuple[float, float] | None:
    if not item.applied_at:
        return None
    start = model.parse_stamp(item.applied_at).timestamp() - origin
    seconds = item.failure.seconds if item.failure is not None else item.seconds_to_ready
    return start, start + (seconds or 0.0)


def _release_note(release: model.ReleaseReport) -> tuple[str, str]:
    """What the release row says in the plot area: a failure no object row shows, else the rollback."""
    carried = any(item.failure is not None for item in release.objects)
    if release.failure is not None and not carried:
        return f"✕ {release.failure.reason}", "#cf222e"
    if release.rollback is not None:
        rollback = release.rollback
        took = "" if rollback.seconds is None else f" in {rollback.seconds:.1f} s"
        if rollback.ok:
            return f"↩ rolled back to revision {rollback.to_revision}{took}", "#bc4c00"
        return f"✕ rollback to revision {rollback.to_revision} failed: {rollback.error}", "#cf222e"
    return "", ""


def _seconds_label(value: float, step: float) -> str:
    return f"{value:.0f} s" if step >= 1 else f"{value:.1f} s"


def render(report: model.StageReport) -> str:
    """The timeline.svg text of a report."""
    origin = model.parse_stamp(report.started_at).timestamp()
    rows: list[tuple[str, object]] = []
    for release in report.releases:
        rows.append(("release", release))
        for item in release.objects:
            rows.append(("object", item))
            if item.failure is not None:
                rows.append(("reason", item))
    bars = {id(item): _bar(item, origin) for kind, item in rows if kind == "object"}
    ends = [end for bar in bars.values() if bar for end in bar]
    span = max([model.parse_stamp(report.finished_at).timestamp() - origin, *ends, 0.001])
    step = nice_step(span)
    span = math.ceil(span / step - 1e-9) * step
    plot_left, plot_right = LABEL_WIDTH, WIDTH - RIGHT_MARGIN
    scale = (plot_right - plot_left) / span
    height = TOP + ROW * len(rows) + 56

    def x(seconds: float) -> float:
        return round(plot_left + max(seconds, 0.0) * scale, 1)

    colour = STATUS_COLOURS.get(report.status, "#57606a")
    title = f"{report.pipeline} / {report.stage} on {report.cluster}"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
        f'font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">',
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
        f'<text x="16" y="26" font-size="16" font-weight="bold" fill="#1f2328">{xmltext.escape(_fit(title, WIDTH * 0.6))}</text>',
        f'<text x="{WIDTH - 16}" y="26" font-size="16" font-weight="bold" text-anchor="end" fill="{colour}">'
        f'{xmltext.escape(report.status)}</text>',
    ]
    axis_y, bottom = TOP - 8, TOP + ROW * len(rows)
    for index in range(int(round(span / step)) + 1):
        tick = index * step
        out.append(f'<line x1="{x(tick)}" y1="{axis_y}" x2="{x(tick)}" y2="{bottom}" stroke="#d0d7de" stroke-width="1"/>')
        anchor = "end" if index and tick >= span else "middle" if index else "start"
        out.append(f'<text x="{x(tick)}" y="{axis_y - 6}" text-anchor="{anchor}" fill="#57606a">'
                   f'{_seconds_label(tick, step)}</text>')
    out.append(f'<line x1="{plot_left}" y1="{axis_y}" x2="{plot_right}" y2="{axis_y}" stroke="#57606a"/>')
    for number, (kind, item) in enumerate(rows):
        top = TOP + number * ROW
        middle = top + ROW / 2 + 4
        if kind == "release":
            assert isinstance(item, model.ReleaseReport)
            label = f"{item.namespace}/{item.name}: {item.status}"
            out.append(f'<rect x="0" y="{top}" width="{WIDTH}" height="{ROW}" fill="#f6f8fa"/>')
            out.append(f'<text x="16" y="{middle}" font-weight="bold" fill="#1f2328">'
                       f'{xmltext.escape(_fit(label, plot_left - 24, bold=True))}</text>')
            note, fill = _release_note(item)
            if note:
                out.append(f'<text x="{plot_left + 4}" y="{middle}" fill="{fill}">'
                           f'{xmltext.escape(_fit(note, plot_right - plot_left - 4))}</text>')
            continue
        assert isinstance(item, model.ObjectReport)
        if kind == "reason":  # the reason itself is drawn with its bar, in the row above
            failure = item.failure
            assert failure is not None
            where = ", ".join(part for part in (failure.pod and f"pod {failure.pod}",
                                                 failure.container and f"container {failure.container}",
                                                 failure.exit_code is not None and f"exit {failure.exit_code}") if part)
            if where:
                out.append(f'<text x="40" y="{middle}" fill="#6e7781" font-size="11">'
                           f'{xmltext.escape(_fit(where, LABEL_WIDTH - 44, 11))}</text>')
            continue
        out.append(f'<text x="28" y="{middle}" fill="#1f2328">{xmltext.escape(_fit(item.title, LABEL_WIDTH - 40))}'
                   f'<title>{xmltext.escape(item.title)}: {xmltext.escape(item.status)}</title></text>')
        bar = bars[id(item)]
        if bar is None:
            out.append(f'<text x="{plot_left + 4}" y="{middle}" fill="#8c959f" font-style="italic">{xmltext.escape(item.status)}</text>')
            continue
        start, end = x(bar[0]), max(x(bar[1]), x(bar[0]) + 3)
        fill = COLOURS.get(item.status, COLOURS["applied"])
        seconds = bar[1] - bar[0]
        out.append(f'<rect x="{start}" y="{top + 6}" width="{round(end - start, 1)}" height="{ROW - 12}" rx="2" '
                   f'fill="{fill}"><title>{xmltext.escape(item.title)}: {xmltext.escape(item.status)} after {seconds:.1f} s</title></rect>')
        if item.failure is not None:
            out.append(f'<path d="M{end - 4},{top + 4} l8,{ROW - 8} M{end + 4},{top + 4} l-8,{ROW - 8}" '
                       f'stroke="#82071e" stroke-width="2"/>')
            note = f"✕ {item.failure.reason} after {seconds:.1f} s"
            left = min(start, max(plot_right - len(note) * CHAR * 1.16, plot_left))
            out.append(f'<text x="{left}" y="{middle + ROW - 4}" fill="#cf222e" font-weight="bold">'
                       f'{xmltext.escape(_fit(note, plot_right - left, bold=True))}<title>{xmltext.escape(item.failure.reason)}</title></text>')
        elif plot_right - end >= 60:
            after = f"{seconds:.1f} s" if item.status == "ready" else item.status
            out.append(f'<text x="{end + 6}" y="{middle}" fill="#57606a">{xmltext.escape(after)}</text>')
    legend_y = bottom + 30
    for offset, (name, fill) in zip((0, 110, 220), (("ready", COLOURS["ready"]), ("failed", COLOURS["failed"]),
                                                     ("applied, not tracked", COLOURS["applied"]))):
        out.append(f'<rect x="{plot_left + offset}" y="{legend_y - 10}" width="14" height="12" rx="2" fill="{fill}"/>')
        out.append(f'<text x="{plot_left + offset + 20}" y="{legend_y}" fill="#57606a">{name}</text>')
    out.append(f'<text x="16" y="{legend_y}" fill="#57606a">seconds since {xmltext.escape(report.started_at)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"

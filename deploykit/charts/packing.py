"""A chart as one self-contained set of files, for release records: the chart and every file:// dependency.

A release record must reproduce its revision later, from another checkout or
none at all. `source_files` returns the chart's own files (honouring
.helmignore, as loading does) with each `repository: file://` dependency,
recursively, vendored under `charts/<name>/`, where the loader looks first;
a packaged chart (.tgz) is kept as the archive itself. `write_files` puts
such a set into a folder and returns the path to render.

Must not: render, or read anything outside the chart and its file:// dependencies.
"""

from __future__ import annotations

import os
from pathlib import Path

from deploykit import errors
from deploykit.charts import loading
from deploykit.charts.chart import Chart

ARCHIVE_NAME = "chart.tgz"


def source_files(path: str, chart: Chart) -> dict[str, bytes]:
    """Every file needed to load `chart` (loaded from `path`) again, by relative path."""
    if os.path.isfile(path):
        with open(path, "rb") as handle:
            return {ARCHIVE_NAME: handle.read()}
    files = loading._read_folder(path)
    for sub in chart.subcharts:
        if not sub.found_at.startswith("file://"):
            continue
        sub_path = os.path.normpath(os.path.join(path, sub.found_at[len("file://"):]))
        prefix = f"charts/{sub.chart.name}"
        if any(name.startswith(prefix + "/") or name == prefix + ".tgz" for name in files):
            continue  # already vendored: the loader would take that one
        nested = source_files(sub_path, sub.chart)
        if ARCHIVE_NAME in nested and len(nested) == 1:
            files[f"{prefix}.tgz"] = nested[ARCHIVE_NAME]
        else:
            files.update({f"{prefix}/{name}": data for name, data in nested.items()})
    return files


def write_files(files: dict[str, bytes], folder: Path) -> Path:
    """Write a set from `source_files` into `folder`; the path to load it from (folder or archive)."""
    for name, data in files.items():
        target = (folder / name).resolve()
        if folder.resolve() not in target.parents:
            raise errors.ChartError(f"stored chart file {name!r} would be written outside its folder",
                                    hint="the release record is damaged; redeploy from the chart")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return folder / ARCHIVE_NAME if set(files) == {ARCHIVE_NAME} else folder

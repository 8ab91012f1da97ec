"""Packaging a chart folder into a reproducible .tgz: the same chart files give the same bytes, hence the same sha256.

Owns: `package(folder, destination=..., version=..., app_version=...)`: the
chart is loaded first (a chart that does not load is not packaged), its files
read as the loader reads them (.helmignore honoured, charts/*.tgz kept as
archives), and written in Helm's layout (every entry under `<name>/`) with
nothing from the machine: entries sorted, mtime 0, uid/gid 0 without names,
mode 0644, PAX format, and a gzip header without file name or time; the file is
replaced whole or not at all (report/saving.py). The digest
is `sha256:<hex>` of the archive's bytes, the one a pipeline's artifact records
for a packaged chart (pipeline/evidence.py).

Must not: render, fetch dependencies, or read anything outside the chart folder.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
from pathlib import Path

import yaml

from deploykit import errors
from deploykit.charts import loading, semver
from deploykit.frozen import frozen
from deploykit.report import saving


@frozen
class Packaged:
    path: Path
    digest: str  # sha256:<hex> of the archive's bytes


def archive_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _chart_yaml(text: bytes, *, version: str | None, app_version: str | None, source: str) -> bytes:
    if version is None and app_version is None:
        return text
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise errors.ChartError(f"{source}: must be a mapping", hint=f"run `deploykit lint {Path(source).parent}`")
    if version is not None:
        data["version"] = version
    if app_version is not None:
        data["appVersion"] = app_version
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode("utf-8")


def archive_bytes(name: str, files: dict[str, bytes]) -> bytes:
    """A gzipped tar of `files` under `<name>/`, identical for identical input."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for relative in sorted(files):
            data = files[relative]
            info = tarfile.TarInfo(f"{name}/{relative}")
            info.size = len(data)
            info.mtime = 0
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    packed = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=packed, mtime=0, compresslevel=9) as compressed:
        compressed.write(raw.getvalue())
    return packed.getvalue()


def package(folder: str, *, destination: str = ".", version: str | None = None, app_version: str | None = None) -> Packaged:
    """Write `<name>-<version>.tgz` of the chart in `folder` into `destination`; its path and digest."""
    if not os.path.isdir(folder):
        raise errors.ChartError(f"{folder}: not a chart folder", hint="give the folder holding Chart.yaml")
    if version is not None:
        try:
            semver.parse_version(version)
        except ValueError as exc:
            raise errors.UsageError(f"--version {version}: not a semantic version ({exc})", hint="use e.g. --version 1.2.3") from None
    chart = loading.load_chart(folder)
    files = loading._read_folder(folder)
    files["Chart.yaml"] = _chart_yaml(files["Chart.yaml"], version=version, app_version=app_version,
                                      source=f"{folder}/Chart.yaml")
    data = archive_bytes(chart.name, files)
    target = Path(destination) / f"{chart.name}-{version or chart.metadata.version}.tgz"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        saving.save(target, data)  # whole or not at all: a killed job never leaves half an archive to upload
    except OSError as exc:
        raise errors.ChartError(f"{target}: cannot write the package ({exc.strerror or exc})",
                                hint="give a writable --destination") from None
    return Packaged(path=target, digest=archive_digest(data))

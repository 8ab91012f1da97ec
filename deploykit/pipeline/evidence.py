"""The artifact a pipeline promotes, and its digest: what every stage report records and every gate compares.

The artifact is what must not change between staging and production: each
release's chart (all its files, file:// dependencies included; a packaged
chart is the sha256 of its .tgz, as `deploykit package` prints it), the values
files shared by every stage (a release's own `values`, not the per-stage
overlays), and the image references those values and the charts' defaults
pin. Its digest is a sha256 over the canonical JSON of all three, so a
report made for one build can never open the gate for another.

Must not: read secrets (stage secrets are per stage, not part of the artifact)
or talk to a cluster.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from deploykit import errors
from deploykit.charts import archiving, loading, packing
from deploykit.frozen import frozen
from deploykit.pipeline.model import Pipeline

_IMAGE_KEYS = ("repository", "tag", "digest")


@frozen
class Artifact:
    digest: str  # sha256:<hex> over everything below
    charts: Mapping[str, str]  # release -> sha256 of its chart's files
    values: Mapping[str, str]  # release -> sha256 of its shared values files, in order
    images: tuple[str, ...]  # image references found in the charts' defaults and the shared values, sorted

    def to_dict(self) -> dict[str, Any]:
        return {"digest": self.digest, "charts": dict(self.charts), "values": dict(self.values),
                "images": list(self.images)}


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _canonical(tree: Any) -> bytes:
    return json.dumps(tree, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def artifact(pipeline: Pipeline, *, base: Path) -> Artifact:
    """The artifact of `pipeline`, with chart and values paths taken relative to `base` (the pipeline's folder)."""
    charts: dict[str, str] = {}
    values: dict[str, str] = {}
    images: set[str] = set()
    for release in pipeline.releases:
        chart_path = str(base / release.chart)
        try:
            chart = loading.load_chart(chart_path)
        except errors.ChartError as exc:
            raise errors.PipelineError(f"{pipeline.source}: release {release.name}: {exc.message}", hint=exc.hint) from exc
        charts[release.name] = chart_digest(chart_path, chart)
        images |= set(image_references(chart.values))
        texts = []
        for path in release.values:
            try:
                data = (base / path).read_bytes()
            except OSError as exc:
                raise errors.PipelineError(f"{pipeline.source}: release {release.name}: values file {path}: "
                                           f"{exc.strerror or exc}") from exc
            texts.append(_sha256(data))
            images |= set(image_references(_yaml(data)))
        values[release.name] = _sha256(_canonical(texts))
    found = sorted(images)
    digest = _sha256(_canonical({"charts": charts, "values": values, "images": found}))
    return Artifact(digest=digest, charts=charts, values=values, images=tuple(found))


def chart_digest(chart_path: str, chart: Any) -> str:
    """A chart's part of the artifact: a packaged chart (.tgz) is the sha256 of its bytes, the digest
    `deploykit package` prints; a folder is the sha256 over its files' digests (file:// dependencies included)."""
    files = packing.source_files(chart_path, chart)
    if set(files) == {packing.ARCHIVE_NAME} and Path(chart_path).is_file():
        return archiving.archive_digest(files[packing.ARCHIVE_NAME])
    return _sha256(_canonical({name: _sha256(data) for name, data in files.items()}))


def _yaml(data: bytes) -> Any:
    try:
        return yaml.safe_load(data)
    except yaml.YAMLError:
        return None  # the render reports it with its line; the digest still covers the bytes


def image_references(values: Any) -> Iterator[str]:
    """Image references in a values tree: `image: repo:tag`, or `image: {repository, tag, digest}` (Helm's habit)."""
    if isinstance(values, Mapping):
        for key, value in values.items():
            if key == "image" and isinstance(value, str) and value:
                yield value
            elif key == "image" and isinstance(value, Mapping) and value.get("repository"):
                reference = str(value["repository"])
                if value.get("tag"):
                    reference += f":{value['tag']}"
                if value.get("digest"):
                    reference += f"@{value['digest']}"
                yield reference
            else:
                yield from image_references(value)
    elif isinstance(values, list):
        for item in values:
            yield from image_references(item)

"""Write every report file of a stage into a folder, each through the mask; sign report.json when a key is given.

`write_all` masks the report's strings first (so escaping in JSON or XML
cannot hide a secret from the mask), renders each file, masks its text again,
and saves it whole (saving.py: a kill or a full disk mid-write leaves the
previous file as it was). The files: report.json, junit.xml, summary.md, deploy.env,
timeline.svg, and report.sig with a signing key.
Must not: decide what is secret (the caller's mask does) or read the environment.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ed25519

from deploykit import errors
from deploykit.report import dotenv, jsonfile, junit, markdown, model, saving, signing, timeline

RENDERERS: dict[str, Callable[[model.StageReport], str | bytes]] = {
    "report.json": jsonfile.render,
    "junit.xml": junit.render,
    "summary.md": markdown.render,
    "deploy.env": dotenv.render,
    "timeline.svg": timeline.render,
}


def _no_mask(text: str) -> str:
    return text


def _write(path: Path, data: bytes) -> Path:
    try:
        saving.save(path, data)
    except OSError as exc:
        raise errors.ReportError(f"cannot write {path}: {exc.strerror}",
                                 hint="check that the report folder is writable") from exc
    return path


def render_all(report: model.StageReport, *, mask: model.Mask = _no_mask) -> dict[str, bytes]:
    """File name -> masked bytes of every report file."""
    safe = model.masked(report, mask)
    files = {}
    for name, render in RENDERERS.items():
        rendered = render(safe)
        text = rendered.decode() if isinstance(rendered, bytes) else rendered
        files[name] = mask(text).encode()
    return files


def write_all(report: model.StageReport, folder: Path, *, mask: model.Mask = _no_mask,
              signing_key: ed25519.Ed25519PrivateKey | None = None) -> list[Path]:
    """Write the report files into `folder` (created if missing); the paths written, report.sig last."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise errors.ReportError(f"cannot create the report folder {folder}: {exc.strerror}") from exc
    files = render_all(report, mask=mask)
    paths = [_write(folder / name, data) for name, data in files.items()]
    if signing_key is not None:
        paths.append(_write(folder / signing.SIGNATURE_FILE, signing.sign(files["report.json"], signing_key)))
    return paths

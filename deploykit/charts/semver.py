"""Semantic versions (Masterminds semver v3, as Helm reads them).

Owns: `Version` and parsing versions (`1.2.3`, `v1.28`, `1.30.0-gke.100`),
which every render does (the chart's version, the target Kubernetes
version). Helm's constraint syntax, which only some charts use (kubeVersion,
dependency versions, semver_compare), is `constraints.py`'s.

Must not: know about charts or files. Pure; raises `ValueError` with a short
reason, which callers wrap in a `ChartError` naming the file and field.
"""

from __future__ import annotations

import functools
import re

from deploykit.frozen import frozen

_VERSION = re.compile(
    r"^v?(?P<major>0|[1-9]\d*)(?:\.(?P<minor>0|[1-9]\d*))?(?:\.(?P<patch>0|[1-9]\d*))?"
    r"(?:-(?P<pre>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+(?P<build>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)


@functools.total_ordering
@frozen
class Version:
    """A parsed semantic version; build metadata is kept but ignored in comparisons."""

    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...] = ()
    build: str = ""

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += "-" + ".".join(self.prerelease)
        return text + (f"+{self.build}" if self.build else "")

    def _key(self) -> tuple:
        # A release sorts after all of its pre-releases; numeric identifiers sort
        # before alphanumeric ones, and numerically among themselves.
        pre = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in self.prerelease)
        return (self.major, self.minor, self.patch, 0 if self.prerelease else 1, pre)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() < other._key()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())


def parse_version(text: str) -> Version:
    """Parse a version as Helm does: a leading `v` and missing minor/patch are allowed."""
    match = _VERSION.match(str(text).strip())
    if not match:
        raise ValueError(f"{text!r} is not a semantic version (expected e.g. 1.2.3)")
    pre = match["pre"]
    return Version(
        int(match["major"]),
        int(match["minor"] or 0),
        int(match["patch"] or 0),
        tuple(pre.split(".")) if pre else (),
        match["build"] or "",
    )

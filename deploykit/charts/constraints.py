"""Helm's version-constraint syntax (Masterminds semver v3), for the charts that use it.

Owns: parsing constraints (`>=1.25.0-0`, `^1.28`, `~1.30`, `>= 1.25 < 1.38`,
`1.2 - 1.4`, `1.2.x`, `a || b`) and checking a version against them, with
Helm's rule that a pre-release version only satisfies a constraint that
itself names a pre-release (hence the `-0` idiom for managed clusters'
`v1.29.3-gke.1`). Apart from semver.py so that a chart without kubeVersion,
dependencies or semver_compare does not pay for its classes and patterns:
import it where a constraint is read.

Must not: know about charts or files. Pure; raises `ValueError` with a short
reason, which callers wrap in a `ChartError` naming the file and field.
"""

from __future__ import annotations

import dataclasses
import functools
import re

from deploykit.charts.semver import Version, parse_version
from deploykit.frozen import frozen

# In a constraint a part may also be a wildcard.
_PARTIAL = re.compile(
    r"^v?(?P<major>\d+|[xX*])(?:\.(?P<minor>\d+|[xX*]))?(?:\.(?P<patch>\d+|[xX*]))?"
    r"(?:-(?P<pre>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z.-]+)?$"
)
_WILDCARDS = {"x", "X", "*"}


@frozen
class _Bound:
    """One comparison `op version`; `version` is a lower or upper edge."""

    op: str
    version: Version

    def allows(self, version: Version) -> bool:
        if self.op == ">=":
            return version >= self.version
        if self.op == ">":
            return version > self.version
        if self.op == "<":
            return version < self.version
        if self.op == "<=":
            return version <= self.version
        if self.op == "!=":
            return version != self.version
        return version == self.version


@frozen
class _Exclusion:
    """`!= 1.2.x`: outside the range [low, high)."""

    low: Version
    high: Version | None

    def allows(self, version: Version) -> bool:
        return not (version >= self.low and (self.high is None or version < self.high))


@frozen
class Constraint:
    """A parsed constraint: OR of groups, each an AND of comparisons."""

    text: str
    groups: tuple[tuple[object, ...], ...]
    prerelease_ok: tuple[bool, ...]

    def allows(self, version: Version | str) -> bool:
        """True when `version` satisfies at least one `||` group."""
        if isinstance(version, str):
            version = parse_version(version)
        for group, pre_ok in zip(self.groups, self.prerelease_ok):
            if version.prerelease and not pre_ok:
                continue
            if all(bound.allows(version) for bound in group):  # type: ignore[attr-defined]
                return True
        return False

    def __str__(self) -> str:
        return self.text


def _zero_pre(version: Version) -> Version:
    # The lowest version with these numbers: so `< 1.3.0` also excludes 1.3.0-rc.1.
    return dataclasses.replace(version, prerelease=("0",), build="")


def _expand(op: str, text: str) -> tuple[list[object], bool]:
    """Turn one `op version` term into bounds; returns (bounds, names_a_prerelease)."""
    match = _PARTIAL.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a version")
    parts = [match["major"], match["minor"], match["patch"]]
    # How many leading parts are concrete numbers; the rest are wildcards or missing.
    given = 0
    for part in parts:
        if part is None or part in _WILDCARDS:
            break
        given += 1
    if any(p is not None and p not in _WILDCARDS for p in parts[given:]):
        raise ValueError(f"{text!r} has a number after a wildcard")
    numbers = [int(p) if i < given else 0 for i, p in enumerate(parts)]
    pre = tuple(match["pre"].split(".")) if match["pre"] else ()
    low = Version(numbers[0], numbers[1], numbers[2], pre)
    has_pre = bool(pre)
    if given == 0:  # `*`, `x`: anything (but `< *` and `> *` nothing, as Masterminds does)
        if op in ("<", ">", "!="):
            return [_Bound("<", Version(0, 0, 0, ("0",)))], has_pre
        return [], has_pre

    def next_up(level: int) -> Version:
        bumped = numbers[:level] + [0] * (3 - level)
        bumped[level - 1] += 1
        return _zero_pre(Version(*bumped))

    dirty = given < 3
    if op in ("", "="):
        if not dirty:
            return [_Bound("=", low)], has_pre
        return [_Bound(">=", low), _Bound("<", next_up(given))], has_pre
    if op == "!=":
        if not dirty:
            return [_Bound("!=", low)], has_pre
        return [_Exclusion(low, next_up(given))], has_pre
    if op == ">":
        if not dirty:
            return [_Bound(">", low)], has_pre
        return [_Bound(">=", next_up(given))], has_pre
    if op == ">=":
        return [_Bound(">=", low)], has_pre
    if op == "<":
        return [_Bound("<", low if has_pre else _zero_pre(low))], has_pre
    if op == "<=":
        if not dirty:
            return [_Bound("<=", low)], has_pre
        return [_Bound("<", next_up(given))], has_pre
    if op in ("~", "~>"):
        # ~1.2.3 and ~1.2 allow patch changes; ~1 allows minor changes.
        return [_Bound(">=", low), _Bound("<", next_up(2 if given >= 2 else 1))], has_pre
    if op == "^":
        # ^ allows changes that do not touch the left-most non-zero part.
        if numbers[0] > 0 or given == 1:
            level = 1
        elif numbers[1] > 0 or given == 2:
            level = 2
        else:
            level = 3
        return [_Bound(">=", low), _Bound("<", next_up(level))], has_pre
    raise ValueError(f"unknown operator {op!r}")


_HYPHEN = re.compile(r"^\s*(\S+)\s+-\s+(\S+)\s*$")
_TERM = re.compile(r"(=>|=<|>=|<=|!=|~>|[=<>~^])?\s*([^\s,]+)")


@functools.lru_cache(maxsize=256)
def parse_constraint(text: str) -> Constraint:
    """Parse Helm's constraint syntax; raises ValueError naming the bad term."""
    if not str(text).strip():
        raise ValueError("the constraint is empty")
    groups: list[tuple[object, ...]] = []
    pre_flags: list[bool] = []
    for alternative in str(text).split("||"):
        alternative = alternative.strip()
        if not alternative:
            raise ValueError(f"{text!r} has an empty alternative around '||'")
        bounds: list[object] = []
        pre_ok = False
        hyphen = _HYPHEN.match(alternative)
        if hyphen:
            low, low_pre = _expand(">=", hyphen[1])
            high, high_pre = _expand("<=", hyphen[2])
            bounds, pre_ok = low + high, low_pre or high_pre
        else:
            rest = alternative
            while rest:
                rest = rest.lstrip(" ,")
                if not rest:
                    break
                term = _TERM.match(rest)
                if not term:
                    raise ValueError(f"cannot read {rest!r} in {text!r}")
                try:
                    expanded, has_pre = _expand(term[1] or "", term[2])
                except ValueError as exc:
                    raise ValueError(f"{exc} in constraint {text!r}") from None
                bounds.extend(expanded)
                pre_ok = pre_ok or has_pre
                rest = rest[term.end():]
        groups.append(tuple(bounds))
        pre_flags.append(pre_ok)
    return Constraint(str(text), tuple(groups), tuple(pre_flags))


def satisfies(version: str, constraint: str) -> bool:
    """`semver_compare` for templates: does `version` satisfy `constraint`?"""
    return parse_constraint(constraint).allows(parse_version(version))

"""Ready / failed rules for custom resources, from a small YAML rules file: parsing and evaluation, pure.

    rules:
      - group: db.example.com
        kind: Database
        ready:                       # all must hold
          - condition: Ready         # status.conditions[type=Ready].status == "True"
          - field: status.phase
            equals: Running
        failed:                      # any one is fatal
          - condition: Degraded
            status: "True"
          - field: status.phase
            in: [Error, Failed]

A field path is dotted, with `[N]` indexes and `[key=value]` list selectors:
`status.conditions[type=Synced].reason`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from deploykit import errors
from deploykit.frozen import frozen
from deploykit.track import verdicts
from deploykit.track.pods import condition
from deploykit.track.verdicts import Verdict

_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]|\[([^=\]]+)=([^\]]*)\]")
_MISSING = object()


def _parse_path(path: str, *, where: str) -> tuple:
    parts: list = []
    position = 0
    for match in _SEGMENT.finditer(path):
        if match.start() != position and path[position:match.start()] != ".":
            raise errors.UsageError(f"{where}: cannot read field path {path!r} at position {position}")
        name, index, key, value = match.groups()
        parts.append(name if name is not None else int(index) if index is not None else (key, value))
        position = match.end()
    if not parts or position != len(path):
        raise errors.UsageError(f"{where}: cannot read field path {path!r}")
    return tuple(parts)


def _lookup(obj: Any, path: tuple) -> Any:
    current = obj
    for part in path:
        if isinstance(part, str):
            if not isinstance(current, Mapping) or part not in current:
                return _MISSING
            current = current[part]
        elif isinstance(part, int):
            if not isinstance(current, list) or part >= len(current):
                return _MISSING
            current = current[part]
        else:
            key, value = part
            if not isinstance(current, list):
                return _MISSING
            current = next((item for item in current if isinstance(item, Mapping) and str(item.get(key)) == value),
                           _MISSING)
            if current is _MISSING:
                return _MISSING
    return current


@frozen
class Matcher:
    text: str
    condition: str | None = None
    condition_status: str = "True"
    path: tuple = ()
    equals: Any = _MISSING
    one_of: tuple = ()

    def holds(self, obj: Mapping[str, Any]) -> bool:
        if self.condition is not None:
            found = condition(obj, self.condition)
            return bool(found and str(found.get("status")) == self.condition_status)
        value = _lookup(obj, self.path)
        if value is _MISSING:
            return False
        if self.one_of:
            return value in self.one_of
        if self.equals is not _MISSING:
            return value == self.equals
        return bool(value)


def _matcher(raw: Any, *, where: str) -> Matcher:
    if not isinstance(raw, Mapping):
        raise errors.UsageError(f"{where}: a matcher is a mapping with `condition` or `field`")
    if "condition" in raw:
        status = str(raw.get("status", "True"))
        return Matcher(text=f"condition {raw['condition']}={status}", condition=str(raw["condition"]),
                       condition_status=status)
    if "field" in raw:
        path = _parse_path(str(raw["field"]), where=where)
        if "in" in raw:
            if not isinstance(raw["in"], list):
                raise errors.UsageError(f"{where}: `in` must be a list")
            return Matcher(text=f"{raw['field']} in {raw['in']}", path=path, one_of=tuple(raw["in"]))
        if "equals" in raw:
            return Matcher(text=f"{raw['field']} == {raw['equals']!r}", path=path, equals=raw["equals"])
        return Matcher(text=f"{raw['field']} is set", path=path)
    raise errors.UsageError(f"{where}: a matcher needs `condition` or `field`")


@frozen
class CustomRule:
    group: str
    kind: str
    ready: tuple[Matcher, ...]
    failed: tuple[Matcher, ...]

    def matches(self, group: str, kind: str) -> bool:
        return self.group == group and self.kind == kind

    def evaluate(self, obj: Mapping[str, Any]) -> Verdict:
        for matcher in self.failed:
            if matcher.holds(obj):
                return verdicts.failed(f"custom rule: {matcher.text}")
        waiting = [m.text for m in self.ready if not m.holds(obj)]
        if waiting:
            return verdicts.in_progress("waiting for " + ", ".join(waiting))
        return verdicts.ready("custom rule: " + (", ".join(m.text for m in self.ready) or "exists"))


def parse_rules(document: Any, *, source: str) -> list[CustomRule]:
    """Rules from a parsed rules file; every problem names the file and the rule's position."""
    if not isinstance(document, Mapping) or not isinstance(document.get("rules"), list):
        raise errors.UsageError(f"{source}: expected a mapping with a `rules` list")
    rules = []
    for index, raw in enumerate(document["rules"]):
        where = f"{source}: rules[{index}]"
        if not isinstance(raw, Mapping) or not raw.get("kind"):
            raise errors.UsageError(f"{where}: each rule needs `kind` (and `group`, empty for the core group)")
        for key in ("ready", "failed"):
            if not isinstance(raw.get(key, []), Sequence) or isinstance(raw.get(key), str):
                raise errors.UsageError(f"{where}.{key}: expected a list of matchers")
        if not raw.get("ready") and not raw.get("failed"):
            raise errors.UsageError(f"{where}: the rule for {raw['kind']} has no `ready` or `failed` matchers",
                                    hint="give at least one, e.g. ready: [{condition: Ready}]")
        rules.append(CustomRule(
            group=str(raw.get("group", "")),
            kind=str(raw["kind"]),
            ready=tuple(_matcher(m, where=f"{where}.ready[{i}]") for i, m in enumerate(raw.get("ready", []))),
            failed=tuple(_matcher(m, where=f"{where}.failed[{i}]") for i, m in enumerate(raw.get("failed", []))),
        ))
    return rules

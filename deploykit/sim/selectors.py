"""Label and field selectors: parsing the query strings, and matching objects.

Owns the selector grammar of the real API server (`a=b`, `a==b`, `a!=b`,
`a in (x,y)`, `a notin (x)`, `a`, `!a`, `a>1`, `a<1`), the field selectors each
kind supports, and the `metav1.LabelSelector` form (matchLabels /
matchExpressions) that controllers use. Errors are `statuses.ApiError` 400 with
the server's wording. Pure: no store, no I/O.
"""

from __future__ import annotations

import re
from typing import Any

from deploykit.sim import statuses

_TOKEN = re.compile(r"\s*(\(|\)|,|==|=|!=|!|<|>|notin\b|in\b|[^\s(),=!<>]+)")
_KEY = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
                  r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")


class Requirement:
    __slots__ = ("key", "op", "values")

    def __init__(self, key: str, op: str, values: tuple[str, ...]) -> None:
        self.key = key
        self.op = op
        self.values = values

    def matches(self, labels: dict[str, str]) -> bool:
        op = self.op
        if op in ("=", "==", "in"):
            return labels.get(self.key) in self.values
        if op in ("!=", "notin"):
            return self.key not in labels or labels[self.key] not in self.values
        if op == "exists":
            return self.key in labels
        if op == "!":
            return self.key not in labels
        value = labels.get(self.key)
        if value is None:
            return False
        try:
            number = int(value)
        except ValueError:
            return False
        bound = int(self.values[0])
        return number > bound if op == ">" else number < bound


class LabelSelector:
    """A parsed selector; an empty one matches everything."""

    def __init__(self, requirements: list[Requirement]) -> None:
        self.requirements = requirements

    def matches(self, labels: dict[str, str] | None) -> bool:
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)

    @property
    def empty(self) -> bool:
        return not self.requirements


def _parse_error(message: str) -> statuses.ApiError:
    return statuses.bad_request(f"unable to parse requirement: {message}")


def _check_key(key: str) -> None:
    if len(key.rsplit("/", 1)[-1]) > 63 or not _KEY.match(key):
        raise _parse_error(
            f'<nil>: Invalid value: "{key}": name part must consist of alphanumeric characters, '
            "'-', '_' or '.', and must start and end with an alphanumeric character "
            "(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is "
            "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
        )


def _check_value(key: str, value: str) -> None:
    if len(value) > 63 or not _VALUE.match(value):
        raise _parse_error(
            f'values[0][{key}]: Invalid value: "{value}": a valid label must be an empty string or consist '
            "of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
            "character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is "
            "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
        )


class _Tokens:
    """A cursor over the tokens of a label selector."""

    def __init__(self, text: str) -> None:
        self.items: list[str] = []
        pos = 0
        text = text.rstrip()
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if not match:
                raise _parse_error(f"found '{text[pos:]}', expected: identifier")
            self.items.append(match.group(1))
            pos = match.end()
        self.position = 0

    @property
    def done(self) -> bool:
        return self.position >= len(self.items)

    def peek(self) -> str | None:
        return None if self.done else self.items[self.position]

    def take(self) -> str | None:
        token = self.peek()
        self.position += 1
        return token


def parse_labels(text: str | None) -> LabelSelector:
    """Parse a `labelSelector` query value."""
    if not text or not text.strip():
        return LabelSelector([])
    tokens = _Tokens(text)
    requirements: list[Requirement] = []
    while not tokens.done:
        requirements.append(_requirement(tokens))
        if not tokens.done:
            separator = tokens.take()
            if separator != ",":
                raise _parse_error(f"found '{separator}', expected: ',' or 'end of string'")
            if tokens.done:
                raise _parse_error("found '', expected: identifier")
    return LabelSelector(requirements)


def _requirement(tokens: _Tokens) -> Requirement:
    """One requirement: `!key`, `key`, `key op value`, `key in|notin (values)`."""
    first = tokens.take()
    if first == "!":
        key = tokens.peek()
        if key is None or key in "(),=!<>":
            raise _parse_error(f"found '{key or ''}', expected: identifier after '!'")
        _check_key(key)
        tokens.take()
        return Requirement(key, "!", ())
    if first in ("(", ")", ",", "=", "==", "!=", "<", ">"):
        raise _parse_error(f"found '{first}', expected: !, identifier, or 'end of string'")
    key = str(first)
    _check_key(key)
    op = tokens.peek()
    if op is None or op == ",":
        return Requirement(key, "exists", ())
    tokens.take()
    if op in ("=", "==", "!="):
        return Requirement(key, op, (_single_value(tokens, key),))
    if op in ("in", "notin"):
        return Requirement(key, op, _value_set(tokens, key))
    if op in ("<", ">"):
        value = tokens.take()
        if value is None or not re.fullmatch(r"-?\d+", value):
            raise _parse_error("for 'Gt', 'Lt' operators, the value must be an integer")
        return Requirement(key, op, (value,))
    raise _parse_error(f"found '{op}', expected: in, notin, =, ==, !=, gt, lt")


def _single_value(tokens: _Tokens, key: str) -> str:
    """The value after `=`, `==` or `!=`; nothing (end or `,`) is the empty value."""
    value = tokens.peek()
    if value is None or value == ",":
        value = ""
    elif value in ("(", ")", "=", "==", "!=", "<", ">", "!"):
        raise _parse_error(f"found '{value}', expected: identifier")
    else:
        tokens.take()
    _check_value(key, value)
    return value


def _value_set(tokens: _Tokens, key: str) -> tuple[str, ...]:
    """`(a, b)` after `in` / `notin`; an empty slot between commas is the empty value."""
    if tokens.peek() != "(":
        raise _parse_error(f"found '{tokens.peek() or ''}', expected: '('")
    tokens.take()
    values: list[str] = []
    expect_value = True
    while True:
        token = tokens.take()
        if token is None:
            raise _parse_error("found '', expected: ')'")
        if token == ")":
            if expect_value and values:
                values.append("")
            return tuple(values)
        if token == ",":
            if expect_value:
                values.append("")
            expect_value = True
            continue
        if not expect_value:
            raise _parse_error(f"found '{token}', expected: ',' or ')'")
        _check_value(key, token)
        values.append(token)
        expect_value = False


def from_label_selector(selector: dict[str, Any] | None) -> LabelSelector:
    """A metav1.LabelSelector (matchLabels/matchExpressions) as a matcher; None matches nothing."""
    if selector is None:
        return LabelSelector([Requirement("", "in", ())])
    reqs = [Requirement(k, "=", (str(v),)) for k, v in (selector.get("matchLabels") or {}).items()]
    for expr in selector.get("matchExpressions") or []:
        op = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}.get(expr.get("operator"))
        if op:
            reqs.append(Requirement(expr.get("key", ""), op, tuple(expr.get("values") or ())))
    return LabelSelector(reqs)


def to_string(selector: dict[str, Any] | None) -> str:
    """A metav1.LabelSelector in query syntax, as Scale.status.selector shows it."""
    if not selector:
        return ""
    parts = [f"{k}={v}" for k, v in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        op, key = expr.get("operator"), expr.get("key")
        values = ",".join(sorted(expr.get("values") or ()))
        parts.append(
            {"In": f"{key} in ({values})", "NotIn": f"{key} notin ({values})", "Exists": key,
             "DoesNotExist": f"!{key}"}.get(op, key)
        )
    return ",".join(parts)


# Field selectors each kind supports beyond metadata.name / metadata.namespace
# (pkg/registry/*/strategy.go ...FieldsSet / AddFieldLabelConversionFunc).
_KIND_FIELDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("", "pods"): ("spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
                   "spec.hostNetwork", "status.phase", "status.podIP", "status.podIPs",
                   "status.nominatedNodeName"),
    ("", "events"): ("involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
                     "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
                     "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"),
    ("events.k8s.io", "events"): ("regarding.kind", "regarding.namespace", "regarding.name", "regarding.uid",
                                  "regarding.apiVersion", "regarding.resourceVersion", "regarding.fieldPath",
                                  "reason", "reportingController", "type", "deprecatedSource.component"),
    ("", "secrets"): ("type",),
    ("", "namespaces"): ("status.phase",),
    ("", "nodes"): ("spec.unschedulable",),
    ("", "replicationcontrollers"): ("status.replicas",),
    ("apps", "replicasets"): ("status.replicas",),
    ("batch", "jobs"): ("status.successful",),
    ("certificates.k8s.io", "certificatesigningrequests"): ("spec.signerName",),
}


def _field_value(obj: dict[str, Any], path: str) -> str:
    if path == "source" and "source" in obj:
        return str((obj.get("source") or {}).get("component", ""))
    current: Any = obj
    for part in path.split("."):
        if not isinstance(current, dict):
            return ""
        current = current.get(part)
    if current is None:
        return "false" if path in ("spec.hostNetwork", "spec.unschedulable") else ""
    if isinstance(current, bool):
        return "true" if current else "false"
    if isinstance(current, list):  # status.podIPs: the first one, as the real conversion does
        first = current[0] if current else {}
        return str(first.get("ip", "")) if isinstance(first, dict) else str(first)
    return str(current)


class FieldSelector:
    def __init__(self, terms: list[tuple[str, bool, str]]) -> None:
        self.terms = terms  # (path, equal, value)

    def matches(self, obj: dict[str, Any]) -> bool:
        for path, equal, value in self.terms:
            if (_field_value(obj, path) == value) != equal:
                return False
        return True

    @property
    def empty(self) -> bool:
        return not self.terms

    def names(self) -> set[str] | None:
        """The single name an `metadata.name=x` selector pins, so a watch can skip other objects fast."""
        for path, equal, value in self.terms:
            if path == "metadata.name" and equal:
                return {value}
        return None


def parse_fields(text: str | None, *, key: tuple[str, str], custom: bool = False) -> FieldSelector:
    """Parse a `fieldSelector` query value for the collection `key` = (group, plural)."""
    if not text or not text.strip():
        return FieldSelector([])
    allowed = ("metadata.name", "metadata.namespace") + _KIND_FIELDS.get(key, ())
    terms = []
    for part in _split_unescaped(text):
        part = part.strip()
        if not part:
            continue
        match = re.fullmatch(r"([^=!]+?)\s*(==|=|!=)\s*(.*)", part)
        if not match:
            raise statuses.bad_request(f"invalid selector: '{text}'; can't understand '{part}'")
        path, op, value = match.group(1).strip(), match.group(2), _unescape(match.group(3).strip())
        if path not in allowed:
            raise statuses.bad_request(f'field label not supported: {path}')
        terms.append((path, op != "!=", value))
    return FieldSelector(terms)


def _split_unescaped(text: str) -> list[str]:
    parts, current, escaped = [], [], False
    for ch in text:
        if escaped:
            current.append("\\" + ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == ",":
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)

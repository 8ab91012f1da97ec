"""Release records as data: what one revision of a release was, and the payload it is stored as.

Owns `Record` and the small types it holds (chart identity, secret inputs,
applied objects, hook results, deployer), its JSON form (`to_dict` /
`from_dict`, versioned by `schemaVersion`), the payload (`encode` / `decode`:
canonical JSON, gzip, base64) and the split of a payload too large for one
Secret into parts (`split` / `join`: each part carries its index, the count
and the sha256 digest of the whole payload, checked when joined).

Must not: talk to the cluster (storage does), read the clock or the
environment (callers pass timestamps and the deployer), or decide what is
secret and compute fingerprints: the engine hands in values, `--set` inputs
and a manifest whose secret-derived strings it already replaced. Secret
values files are kept only as their sops ciphertext.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import enum
import functools
import gzip
import hashlib
import io
import json
import types
import typing
import zlib
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from deploykit import errors
from deploykit.frozen import frozen
from deploykit.release import chartfiles

SCHEMA_VERSION = 1
# A Secret holds at most 1 MiB of data; parts stay well below it, leaving room for metadata.
PART_SIZE = 900 * 1024
# A payload never inflates beyond this: a damaged or hostile record must not exhaust memory.
MAX_RECORD_BYTES = 256 * 1024 * 1024


class Status(enum.StrEnum):
    """Where a revision stands; the label `status` of its Secret holds the same value."""

    PENDING_INSTALL = "pending-install"
    PENDING_UPGRADE = "pending-upgrade"
    PENDING_ROLLBACK = "pending-rollback"
    DEPLOYED = "deployed"
    FAILED = "failed"
    SUPERSEDED = "superseded"
    UNINSTALLING = "uninstalling"  # an uninstall under way, or cancelled / killed half-way: rerunning it finishes
    UNINSTALLED = "uninstalled"

    @property
    def pending(self) -> bool:
        """True while an operation on this revision is under way (or was killed mid-way)."""
        return self.value.startswith("pending-")


@frozen
class ChartIdentity:
    """Which chart a revision deployed; digest is the sha256 of its packaged content."""

    name: str
    version: str
    app_version: str = ""
    digest: str = ""


@frozen
class SecretFile:
    """A secret values file as the user committed it: its path and sops ciphertext, never the plaintext."""

    path: str
    ciphertext: str


@frozen
class ValuesFile:
    """A -f values file, in the order given: a plain one with its text, a secret one by path (see SecretFile)."""

    path: str
    text: str | None = None
    secret: bool = False


@frozen
class SetInput:
    """One --set, --set-string, --set-json or --set-file input (flag without dashes).

    For a secret input `value` is the fingerprint the engine computed, never the value itself.
    """

    flag: str
    key: str
    value: str
    secret: bool = False

    @property
    def expression(self) -> str:
        return f"{self.key}={self.value}"


@frozen
class AppliedObject:
    """An object a revision applied; `created` says this revision brought it into the cluster."""

    api_version: str
    kind: str
    namespace: str | None
    name: str
    created: bool = False


@frozen
class HookResult:
    """How one hook object ran: its phase (pre-upgrade, post-install...), outcome and duration."""

    kind: str
    name: str
    namespace: str | None
    phase: str
    outcome: str
    weight: int = 0
    seconds: float = 0.0
    message: str = ""


@frozen
class Deployer:
    """Who deployed: a CI job (system gitlab or github) or a person at a machine (system local, actor user@host)."""

    system: str
    actor: str
    commit: str = ""
    job_url: str = ""
    pipeline_url: str = ""
    project: str = ""

    def __str__(self) -> str:
        return self.job_url or self.actor


@frozen
class AdoptedFrom:
    """Where an adopted revision came from: a Helm release's revision (system `helm`).

    Such a revision is reproduced from its stored manifest, never re-rendered: its chart is Helm's.
    """

    system: str
    release: str
    namespace: str
    revision: int

    def __str__(self) -> str:
        return f"{'Helm' if self.system == 'helm' else self.system} release {self.release} revision {self.revision}"


@frozen
class Record:
    """One revision of a release, as the engine fills it and storage keeps it."""

    name: str
    namespace: str
    revision: int
    status: Status
    created: str
    updated: str
    chart: ChartIdentity
    description: str = ""
    chart_files: Mapping[str, bytes] = dataclasses.field(default_factory=dict)
    values: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    secret_files: tuple[SecretFile, ...] = ()
    set_inputs: tuple[SetInput, ...] = ()
    manifest: str = ""
    objects: tuple[AppliedObject, ...] = ()
    hooks: tuple[HookResult, ...] = ()
    timings: Mapping[str, float] = dataclasses.field(default_factory=dict)
    deployer: Deployer | None = None
    failure: str | None = None
    rolled_back_to: int | None = None
    # What re-rendering the revision needs besides the chart files: where the chart is among them, the -f files
    # in order, the target Kubernetes version, the release's sealed fingerprint key and the inputs' digest.
    chart_path: str = "."
    values_files: tuple[ValuesFile, ...] = ()
    kube_version: str = ""
    sealed_key: str | None = None
    inputs_digest: str = ""
    notes: str = ""
    template_engine: str = ""  # jinja2 or helm: the engine that rendered it, to re-render it alike ("": jinja2)
    adopted_from: AdoptedFrom | None = None
    # The CRDs of the charts' crds/ folders this revision applied (created=True: it created them). Not the
    # release's objects: shared with any release, never pruned or deleted (release/sharedcrds.py).
    crds: tuple[AppliedObject, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", Status(self.status))
        for name in ("secret_files", "set_inputs", "objects", "hooks", "values_files", "crds"):
            object.__setattr__(self, name, tuple(getattr(self, name)))

    @property
    def label(self) -> str:
        """How messages name this record: `release web v3 in namespace shop`."""
        return describe(self.name, self.revision, self.namespace)

    def with_status(self, status: Status | str, *, updated: str, description: str | None = None) -> Record:
        """This record with a new status (and description), stamped `updated`."""
        return dataclasses.replace(
            self, status=Status(status), updated=updated,
            description=self.description if description is None else description,
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON tree of this record (described in docs/releases.md), with its `schemaVersion`."""
        tree: dict[str, Any] = {"schemaVersion": SCHEMA_VERSION}
        for spec in dataclasses.fields(self):
            value = getattr(self, spec.name)
            if spec.name == "chart_files":
                value = chartfiles.pack(value)
            elif spec.name == "status":
                value = str(value)
            elif dataclasses.is_dataclass(value):
                value = _flat_to_dict(value)
            elif isinstance(value, tuple):
                value = [_flat_to_dict(item) for item in value]
            elif isinstance(value, Mapping):
                value = dict(value)
            tree[_camel(spec.name)] = value
        return tree

    @classmethod
    def from_dict(cls, tree: Any, *, source: str = "release record") -> Record:
        """The record a JSON tree describes; RecordError naming `source` when the tree is not one."""
        if not isinstance(tree, dict):
            raise _damaged(source, "the payload is not a JSON object")
        version = tree.get("schemaVersion")
        if version != SCHEMA_VERSION:
            raise errors.RecordError(
                f"{source}: unknown record schema version {version!r} (this deploykit reads {SCHEMA_VERSION})",
                hint="the record was written by another deploykit version; run the version that wrote it, "
                "or upgrade deploykit",
            )
        return _flat_from_dict(cls, tree, source, _RECORD_READERS)


def describe(name: str, revision: int, namespace: str) -> str:
    """`release web v3 in namespace shop`: how errors name one record."""
    return f"release {name} v{revision} in namespace {namespace}"


def now() -> str:
    """The current time in the record's format."""
    return rfc3339(datetime.now(timezone.utc))


def rfc3339(at: datetime) -> str:
    """The record's time format (UTC, seconds): `2026-12-04T22:18:01Z`."""
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- payload -------------------------------------------------------------------


def canonical_json(tree: Any) -> bytes:
    """One byte string per tree: sorted keys, no spaces, UTF-8; so an unchanged record encodes identically."""
    return json.dumps(tree, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def encode(record: Record) -> bytes:
    """The stored payload: base64 of gzip of the record's canonical JSON (deterministic: gzip mtime 0)."""
    try:
        text = canonical_json(record.to_dict())
    except (TypeError, ValueError) as exc:
        raise errors.RecordError(
            f"{record.label}: the record cannot be written as JSON ({exc})",
            hint="values and timings must be plain JSON data (strings, numbers, booleans, lists, maps)",
        ) from exc
    return base64.b64encode(gzip.compress(text, compresslevel=9, mtime=0))


def decode(payload: bytes, *, source: str = "release record") -> Record:
    """The record in `payload`; RecordError naming `source` on damage or an unknown schema version."""
    try:
        zipped = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _damaged(source, "the payload is not base64") from exc
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(zipped)) as stream:
            text = stream.read(MAX_RECORD_BYTES + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise _damaged(source, "the payload is not complete gzip data") from exc
    if len(text) > MAX_RECORD_BYTES:
        raise _damaged(source, f"the payload inflates beyond {MAX_RECORD_BYTES // (1024 * 1024)} MiB")
    try:
        tree = json.loads(text)
    except ValueError as exc:
        raise _damaged(source, "the payload is not JSON") from exc
    return Record.from_dict(tree, source=source)


# -- parts ---------------------------------------------------------------------


@frozen
class Part:
    """One piece of a payload: its 1-based index, how many there are, and the whole payload's digest."""

    index: int
    count: int
    digest: str
    data: bytes


def digest_of(payload: bytes) -> str:
    """`sha256:<hex>` of a whole payload."""
    return "sha256:" + hashlib.sha256(payload).hexdigest()


def split(payload: bytes, *, size: int = PART_SIZE) -> list[Part]:
    """`payload` cut into parts of at most `size` bytes; always at least one part."""
    if size < 1:
        raise ValueError("part size must be positive")
    pieces = [payload[start:start + size] for start in range(0, len(payload), size)] or [b""]
    digest = digest_of(payload)
    return [Part(index, len(pieces), digest, piece) for index, piece in enumerate(pieces, start=1)]


def join(parts: Iterable[Part], *, source: str = "release record") -> bytes:
    """The payload the parts were cut from; RecordError naming `source` if a part is missing, extra or altered."""
    ordered = sorted(parts, key=lambda part: part.index)
    if not ordered:
        raise _damaged(source, "it has no parts")
    count, digest = ordered[0].count, ordered[0].digest
    if any(part.count != count or part.digest != digest for part in ordered):
        raise _damaged(source, "its parts disagree on their count or digest (parts of two different writes)")
    indexes = [part.index for part in ordered]
    if indexes != list(range(1, count + 1)):
        missing = sorted(set(range(1, count + 1)) - set(indexes))
        what = f"part(s) {', '.join(map(str, missing))} missing" if missing else f"unexpected parts {indexes}"
        raise _damaged(source, f"it has {len(ordered)} of {count} parts: {what}")
    payload = b"".join(part.data for part in ordered)
    if digest_of(payload) != digest:
        raise _damaged(source, f"its {count} part(s) do not match the digest {digest} (a part was altered)")
    return payload


# -- JSON conversion -----------------------------------------------------------


def _damaged(source: str, what: str) -> errors.RecordError:
    return errors.RecordError(
        f"{source} is damaged: {what}",
        hint="the record was changed outside deploykit; `deploykit history` lists the revisions still usable",
    )


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word.capitalize() for word in rest)


def _flat_to_dict(obj: Any) -> dict[str, Any]:
    return {key: getattr(obj, name) for name, key, _ in _fields(type(obj))}


@functools.cache
def _fields(cls: type) -> tuple[tuple[str, str, bool], ...]:
    """(name, JSON key, required) of each field of a record type: worked out once, not once per object."""
    return tuple((spec.name, _camel(spec.name), spec.default is dataclasses.MISSING
                  and spec.default_factory is dataclasses.MISSING) for spec in dataclasses.fields(cls))


@functools.cache
def _python_types(hint: Any) -> tuple[type, ...]:
    """The JSON-decoded types a field of this annotation accepts (a float field accepts an int)."""
    if isinstance(hint, types.UnionType):
        return tuple(kind for arg in typing.get_args(hint) for kind in _python_types(arg))
    if hint is type(None):
        return (type(None),)
    return {float: (float, int), str: (str,), int: (int,), bool: (bool,)}[hint]


def _checked(value: Any, hint: Any, where: str, source: str) -> Any:
    accepted = _python_types(hint)
    if not isinstance(value, accepted) or (isinstance(value, bool) and bool not in accepted):
        names = " or ".join("null" if kind is type(None) else kind.__name__ for kind in accepted)
        raise _damaged(source, f"{where} is {type(value).__name__}, expected {names}")
    return value


@functools.cache
def _type_hints(cls: type) -> dict[str, Any]:
    # Resolving string annotations compiles them: once per class, not once per object read.
    return typing.get_type_hints(cls)


def _flat_from_dict(cls: type, tree: Any, source: str, readers: Mapping[str, Any], where: str = "") -> Any:
    if not isinstance(tree, dict):
        raise _damaged(source, f"{where or 'the record'} is not an object")
    hints = _type_hints(cls)
    arguments: dict[str, Any] = {}
    for name, key, required in _fields(cls):
        if key not in tree:
            if required:
                raise _damaged(source, f"field {where}{key} is missing")
            continue
        reader = readers.get(name)
        value = reader(tree[key], where + key, source) if reader else _checked(tree[key], hints[name], where + key, source)
        arguments[name] = value
    return cls(**arguments)


def _nested(cls: type, optional: bool = False) -> Any:
    def read(value: Any, where: str, source: str) -> Any:
        if value is None and optional:
            return None
        return _flat_from_dict(cls, value, source, {}, f"{where}.")
    return read


def _listed(cls: type) -> Any:
    def read(value: Any, where: str, source: str) -> tuple:
        if not isinstance(value, list):
            raise _damaged(source, f"{where} is not a list")
        return tuple(_flat_from_dict(cls, item, source, {}, f"{where}[{i}].") for i, item in enumerate(value))
    return read


def _read_status(value: Any, where: str, source: str) -> Status:
    try:
        return Status(value)
    except ValueError:
        raise _damaged(source, f"{where} {value!r} is not a known status") from None


def _read_object(value: Any, where: str, source: str) -> dict:
    if not isinstance(value, dict):
        raise _damaged(source, f"{where} is not an object")
    return value


def _read_timings(value: Any, where: str, source: str) -> dict[str, float]:
    timings = _read_object(value, where, source)
    for phase, seconds in timings.items():
        _checked(seconds, float, f"{where}.{phase}", source)
    return timings


def _read_files(value: Any, where: str, source: str) -> Mapping[str, bytes]:
    _checked(value, str, where, source)
    return chartfiles.read(value, where, lambda what: _damaged(source, what))


_RECORD_READERS = {
    "status": _read_status,
    "chart": _nested(ChartIdentity),
    "chart_files": _read_files,
    "values": _read_object,
    "secret_files": _listed(SecretFile),
    "set_inputs": _listed(SetInput),
    "values_files": _listed(ValuesFile),
    "objects": _listed(AppliedObject),
    "crds": _listed(AppliedObject),
    "hooks": _listed(HookResult),
    "timings": _read_timings,
    "deployer": _nested(Deployer, optional=True),
    "adopted_from": _nested(AdoptedFrom, optional=True),
}

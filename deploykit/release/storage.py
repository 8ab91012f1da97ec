"""Release records kept as Secrets in the release's namespace, through `kube.Kube`.

Owns the layout of a record in the cluster. Revision N of release R is the
head Secret `deploykit.release.v1.R.vN`, type `deploykit.io/release.v1`,
labels `owner=deploykit`, `name=R`, `status=<status>`, `version=N`, data key
`release` holding the payload (records.encode) or its first part; its
annotations give the part count and the payload digest, and, so `history`
needs no decoding, the chart, app version, update time and description. A
payload larger than records.PART_SIZE continues in part Secrets
`<head>.part-<i>.<digest prefix>`, labelled `owner=deploykit-part` so that
`-l owner=deploykit` lists one Secret per revision. Parts are named by the
payload's digest: a rewrite adds new parts, then swaps the head, then
deletes the old ones, so a reader never finds a head whose parts are gone
or belong to another write.

Must not: decide statuses or revisions (the engine does), hold a lock (the
caller holds the release Lease while writing), or print.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from datetime import datetime, timezone

from deploykit import errors
from deploykit.frozen import frozen
from deploykit.kube.client import Kube
from deploykit.kube.resources import ObjectRef
from deploykit.release import records
from deploykit.release.records import Record, Status

SECRET_TYPE = "deploykit.io/release.v1"
PART_TYPE = "deploykit.io/release.v1.part"
OWNER = "deploykit"
PART_OWNER = "deploykit-part"
DATA_KEY = "release"
PARTS = "deploykit.io/parts"
PART = "deploykit.io/part"
DIGEST = "deploykit.io/digest"
CHART = "deploykit.io/chart"
APP_VERSION = "deploykit.io/app-version"
UPDATED = "deploykit.io/updated"
DESCRIPTION = "deploykit.io/description"
MAX_DESCRIPTION = 1024


def head_name(release: str, revision: int) -> str:
    """`deploykit.release.v1.<release>.v<revision>`: the Secret that stands for one revision."""
    return f"deploykit.release.v1.{release}.v{revision}"


def part_name(release: str, revision: int, part: records.Part) -> str:
    """The Secret holding part `index` (2 and up) of one write of a revision."""
    return f"{head_name(release, revision)}.part-{part.index}.{part.digest.removeprefix('sha256:')[:12]}"


@frozen
class RecordSummary:
    """One revision as its head Secret's labels and annotations describe it, without decoding the payload."""

    name: str
    namespace: str
    revision: int
    status: Status
    chart: str
    app_version: str
    updated: str
    description: str
    secret: str


def _now() -> str:
    return records.rfc3339(datetime.now(timezone.utc))


def _secret_ref(namespace: str, name: str) -> ObjectRef:
    return ObjectRef("v1", "Secret", namespace, name)


def _summary(head: dict) -> RecordSummary:
    meta = head.get("metadata") or {}
    labels, notes = meta.get("labels") or {}, meta.get("annotations") or {}
    try:
        revision, status = int(labels.get("version", "")), Status(labels.get("status", ""))
    except ValueError:
        raise errors.RecordError(
            f"Secret {meta.get('name')} in namespace {meta.get('namespace')} is labelled owner={OWNER} but its "
            f"version {labels.get('version')!r} or status {labels.get('status')!r} is not one deploykit writes",
            hint="it was changed outside deploykit; fix its labels or delete it",
        ) from None
    return RecordSummary(
        name=labels.get("name", ""), namespace=meta.get("namespace", ""), revision=revision, status=status,
        chart=notes.get(CHART, ""), app_version=notes.get(APP_VERSION, ""), updated=notes.get(UPDATED, ""),
        description=notes.get(DESCRIPTION, ""), secret=meta.get("name", ""),
    )


class RecordStore:
    """The records of every release in one namespace."""

    def __init__(self, kube: Kube, namespace: str) -> None:
        self.kube = kube
        self.namespace = namespace

    # -- reads --------------------------------------------------------------
    def history(self, release: str) -> list[RecordSummary]:
        """Every revision of `release`, oldest first, from the head Secrets' metadata (no payload read)."""
        heads = self._heads(self.namespace, f"owner={OWNER},name={release}")
        return sorted(map(_summary, heads), key=lambda summary: summary.revision)

    def load(self, summary: RecordSummary) -> Record:
        """The full record a summary stands for (reading its head and further parts, if any)."""
        return self._decode(self._head(summary.name, summary.revision, summary.namespace))

    def get(self, release: str, revision: int) -> Record:
        """Revision `revision` of `release`; RecordNotFoundError if there is none."""
        return self._decode(self._head(release, revision))

    def latest(self, release: str) -> Record | None:
        """The highest revision of `release`, whatever its status; None for a release never deployed here."""
        history = self.history(release)
        return self.load(history[-1]) if history else None

    def last_deployed(self, release: str) -> Record | None:
        """The highest revision whose status is deployed: what a rollback returns to."""
        deployed = [summary for summary in self.history(release) if summary.status is Status.DEPLOYED]
        return self.load(deployed[-1]) if deployed else None

    def list_releases(self, *, all_namespaces: bool = False) -> list[RecordSummary]:
        """The latest revision of each release in this namespace (or in all), sorted by namespace and name."""
        heads = self._heads(None if all_namespaces else self.namespace, f"owner={OWNER}")
        latest: dict[tuple[str, str], RecordSummary] = {}
        for summary in map(_summary, heads):
            key = (summary.namespace, summary.name)
            if key not in latest or latest[key].revision < summary.revision:
                latest[key] = summary
        return [latest[key] for key in sorted(latest)]

    # -- writes -------------------------------------------------------------
    def create(self, record: Record) -> None:
        """Store a new revision: parts first, head last. RecordExistsError if the revision is already there."""
        self._check_namespace(record)
        parts = records.split(records.encode(record))
        try:
            self._write_parts(record, parts)
            self.kube.create(self._head_secret(record, parts), retry=True)
        except errors.ApiConflictError as exc:
            # Our parts carry our digest in their names: drop them unless the existing head is the same payload.
            existing = self.kube.get(_secret_ref(self.namespace, head_name(record.name, record.revision)))
            if existing is not None and (existing["metadata"].get("annotations") or {}).get(DIGEST) == parts[0].digest:
                return  # our own write, which landed before its answer was lost (a retried 5xx)
            self._delete_parts(record.name, record.revision, keep=_part_names(existing))
            raise errors.RecordExistsError(
                f"{record.label} already exists: another run wrote this revision",
                hint=f"another deploy of {record.name} ran at the same time; check `deploykit history "
                f"{record.name} -n {self.namespace}` and deploy again",
            ) from exc
        except errors.KubeError:
            self._forget_parts(record, parts)
            raise

    def replace(self, record: Record) -> None:
        """Rewrite an existing revision wholesale (labels, annotations and payload in one write of the head)."""
        self._check_namespace(record)
        self._write_over(self._head(record.name, record.revision), record)

    def update_status(
        self, release: str, revision: int, status: Status | str, *, description: str | None = None,
        updated: str | None = None,
    ) -> Record:
        """Set a revision's status (and description): label and payload change in the same write."""
        head = self._head(release, revision)
        record = self._decode(head).with_status(status, updated=updated or _now(), description=description)
        self._write_over(head, record)
        return record

    def delete(self, release: str, revision: int) -> bool:
        """Delete a revision: its head first (it disappears from history), then every part; False if absent."""
        existed = self.kube.delete(_secret_ref(self.namespace, head_name(release, revision)))
        self._delete_parts(release, revision, keep=())
        return existed

    # -- internals ----------------------------------------------------------
    def _heads(self, namespace: str | None, selector: str) -> list[dict]:
        """Head Secrets' metadata by label; a Secret merely labelled owner=deploykit (no digest) is not a record."""
        secrets = self.kube.list_metadata("v1", "Secret", namespace=namespace, label_selector=selector)
        return [secret for secret in secrets if DIGEST in (secret["metadata"].get("annotations") or {})]

    def _check_namespace(self, record: Record) -> None:
        if record.namespace != self.namespace:
            raise errors.ReleaseError(
                f"{record.label} cannot be stored in namespace {self.namespace}: a record lives in its release's namespace"
            )

    def _head(self, release: str, revision: int, namespace: str | None = None) -> dict:
        namespace = namespace or self.namespace
        head = self.kube.get(_secret_ref(namespace, head_name(release, revision)))
        if head is None or head.get("type") != SECRET_TYPE:
            raise errors.RecordNotFoundError(
                f"release {release} has no revision {revision} in namespace {namespace}",
                hint=f"`deploykit history {release} -n {namespace}` lists its revisions",
            )
        return head

    def _source(self, head: dict) -> str:
        summary = _summary(head)
        return f"{records.describe(summary.name, summary.revision, summary.namespace)} (Secret {summary.secret})"

    def _decode(self, head: dict) -> Record:
        source = self._source(head)
        parts = [_part_of(head, source)]
        for name in _part_names(head):
            secret = self.kube.get(_secret_ref(head["metadata"]["namespace"], name))
            if secret is not None:  # a missing part is named by join
                parts.append(_part_of(secret, source))
        return records.decode(records.join(parts, source=source), source=source)

    def _write_parts(self, record: Record, parts: list[records.Part]) -> None:
        for part in parts[1:]:
            # Content-addressed: re-writing a part left by an interrupted write of the same payload is harmless.
            self.kube.apply(self._part_secret(record, part))

    def _write_over(self, head: dict, record: Record) -> None:
        parts = records.split(records.encode(record))
        self._write_parts(record, parts)
        secret = self._head_secret(record, parts)
        secret["metadata"]["resourceVersion"] = head["metadata"]["resourceVersion"]
        try:
            self.kube.replace(secret)
        except errors.ApiConflictError as exc:
            self._delete_parts(record.name, record.revision, keep=_part_names(self.kube.get(ObjectRef.of(secret))))
            raise errors.RecordError(
                f"{record.label} was changed by another run while this one updated it",
                hint="two runs wrote the same release; the release lock prevents this unless it was taken over",
            ) from exc
        self._delete_parts(record.name, record.revision, keep=_part_names(secret))

    def _forget_parts(self, record: Record, parts: list[records.Part]) -> None:
        """Best effort after a failed write: remove the parts it wrote (names carry its digest: no one else's)."""
        for part in parts[1:]:
            try:
                self.kube.delete(_secret_ref(self.namespace, part_name(record.name, record.revision, part)))
            except errors.KubeError:
                pass  # unreachable: left to `delete`, which removes every part of the revision

    def _delete_parts(self, release: str, revision: int, *, keep: Iterable[str]) -> None:
        kept = set(keep)
        selector = f"owner={PART_OWNER},name={release},version={revision}"
        for secret in self.kube.list_metadata("v1", "Secret", namespace=self.namespace, label_selector=selector):
            if secret["metadata"]["name"] not in kept:
                self.kube.delete(_secret_ref(self.namespace, secret["metadata"]["name"]))

    def _head_secret(self, record: Record, parts: list[records.Part]) -> dict:
        secret = self._secret(record, parts[0], head_name(record.name, record.revision), SECRET_TYPE)
        secret["metadata"]["labels"].update(owner=OWNER, status=str(record.status))
        secret["metadata"]["annotations"].update({
            CHART: f"{record.chart.name}-{record.chart.version}", APP_VERSION: record.chart.app_version,
            UPDATED: record.updated, DESCRIPTION: record.description[:MAX_DESCRIPTION],
        })
        return secret

    def _part_secret(self, record: Record, part: records.Part) -> dict:
        secret = self._secret(record, part, part_name(record.name, record.revision, part), PART_TYPE)
        secret["metadata"]["labels"].update(owner=PART_OWNER, part=str(part.index))
        return secret

    def _secret(self, record: Record, part: records.Part, name: str, secret_type: str) -> dict:
        return {
            "apiVersion": "v1", "kind": "Secret", "type": secret_type,
            "metadata": {
                "name": name, "namespace": self.namespace,
                "labels": {"name": record.name, "version": str(record.revision)},
                "annotations": {PARTS: str(part.count), PART: str(part.index), DIGEST: part.digest},
            },
            "data": {DATA_KEY: base64.b64encode(part.data).decode("ascii")},
        }


def _part_names(head: dict | None) -> list[str]:
    """The names of the part Secrets (2 and up) a head Secret points to."""
    if head is None:
        return []
    notes = head["metadata"].get("annotations") or {}
    labels = head["metadata"].get("labels") or {}
    try:
        count = int(notes.get(PARTS, "1"))
    except ValueError:
        return []
    digest = notes.get(DIGEST, "")
    release, revision = labels.get("name", ""), int(labels.get("version", "0"))
    return [part_name(release, revision, records.Part(index, count, digest, b"")) for index in range(2, count + 1)]


def _part_of(secret: dict, source: str) -> records.Part:
    """The payload part a head or part Secret holds, as its annotations describe it."""
    notes = secret["metadata"].get("annotations") or {}
    try:
        count = int(notes.get(PARTS, ""))
        index = int(notes.get(PART, "1"))
        data = base64.b64decode((secret.get("data") or {}).get(DATA_KEY, ""), validate=True)
    except (ValueError, binascii.Error):
        raise errors.RecordError(
            f"{source} is damaged: Secret {secret['metadata'].get('name')} has no readable part count or data",
            hint="the record was changed outside deploykit; `deploykit history` lists the revisions still usable",
        ) from None
    return records.Part(index, count, notes.get(DIGEST, ""), data)

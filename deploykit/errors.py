"""The one error tree of deploykit.

Every error a user can see is a `DeploykitError`: a message that says what is
wrong (file, line, value path) and, where it helps, a hint that says what to
do. Layers translate third-party exceptions at their boundary
(`raise errors.ChartError(...) from exc`), so no `ApiException`,
`CalledProcessError`, `jinja2.TemplateError` or `yaml.YAMLError` reaches the
CLI. No message or hint may hold a decrypted value, a token or a header.

    DeploykitError                  exit 2 unless said otherwise
    ├── UsageError                  bad flags or arguments
    ├── ValuesError                 values files, --set syntax, provenance
    │   └── SchemaError             values.schema.json violations
    ├── ChartError                  Chart.yaml, chart archives, dependencies
    │   ├── ArchiveError            unsafe or oversized .tgz
    │   ├── RenderError             template failures, rendered YAML, duplicates
    │   └── ChartRepositoryError    a chart repository or OCI registry cannot be reached   exit 3
    ├── SecretsError                sops, keys, keyrings
    │   ├── SopsMissingError        no sops binary
    │   ├── NoKeyError              sops exit 128: no usable key
    │   ├── MacMismatchError        sops exit 51: file changed outside sops
    │   └── NotEncryptedError       a file declared secret is plaintext
    ├── KubeError                   connection, API errors          exit 3
    │   ├── KubeconfigError         no kubeconfig, missing file, unknown context    exit 2
    │   ├── ApiConflictError        409 from the API server
    │   └── ApiNotFoundError        404 from the API server
    ├── ReleaseError                records, locks, engine          exit 1
    │   ├── LockedError             another operation holds the release lock
    │   ├── LockLostError           the lock expired and another run took it over
    │   ├── RecordError             a release record is damaged or unreadable
    │   │   ├── RecordNotFoundError no such release or revision
    │   │   └── RecordExistsError   the revision was already written (a concurrent writer)
    │   ├── PlanError               the plan found objects that cannot be applied; nothing was   exit 2
    │   │                           (another owner, a missing namespace, an immutable field, a refusal)
    │   ├── DeployFailedError       the deploy failed (and was rolled back or cleaned up)
    │   │   └── RollbackFailedError the deploy failed and so did the rollback: a human must look   exit 5
    │   └── CancelledError          SIGTERM / SIGINT stopped a deploy (nothing applied, or after it completed)  exit 128+N
    ├── TrackError                  readiness tracking              exit 1
    ├── PipelineError               pipeline file and stage runner
    │   └── GateError               a promotion gate is not met     exit 4
    └── ReportError                 writing, signing, verifying reports
"""

from __future__ import annotations


class DeploykitError(Exception):
    """Base of every error deploykit raises on purpose."""

    exit_code = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\nhint: {self.hint}"


class UsageError(DeploykitError):
    """Bad flags or arguments on the command line."""


class ValuesError(DeploykitError):
    """A values file, a --set expression or a merge cannot be used."""


class SchemaError(ValuesError):
    """Values violate a chart's values.schema.json."""


class ChartError(DeploykitError):
    """A chart cannot be loaded: Chart.yaml, layout, dependencies."""


class ArchiveError(ChartError):
    """A chart archive is unsafe (absolute paths, `..`, links out) or too large."""


class RenderError(ChartError):
    """A template failed to render, or rendered something that is not valid."""


class ChartRepositoryError(ChartError):
    """A chart repository or OCI registry could not be reached (`dependency update` / `build`)."""

    exit_code = 3


class SecretsError(DeploykitError):
    """Decryption, encryption or key handling failed."""


class SopsMissingError(SecretsError):
    """The sops binary is not installed."""


class NoKeyError(SecretsError):
    """sops found no key able to decrypt the file (sops exit code 128)."""


class MacMismatchError(SecretsError):
    """The file was modified outside sops (sops exit code 51)."""


class NotEncryptedError(SecretsError):
    """A file declared as secret is not sops-encrypted."""


class KubeError(DeploykitError):
    """The cluster cannot be reached or refused a request.

    `status` is the HTTP status code and `reason` the Kubernetes Status reason
    (NotFound, Conflict, Invalid...) when the API server answered.
    """

    exit_code = 3

    def __init__(
        self, message: str, *, hint: str | None = None, status: int | None = None, reason: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.reason = reason


class KubeconfigError(KubeError):
    """No usable kubeconfig: the file (--kubeconfig, KUBECONFIG) is missing, or the context is not in it.

    Bad input, not an unreachable cluster: nothing was sent anywhere.
    """

    exit_code = 2


class ApiConflictError(KubeError):
    """The API server answered 409 Conflict."""


class ApiNotFoundError(KubeError):
    """The API server answered 404 Not Found."""


class ReleaseError(DeploykitError):
    """Release records, locks or the deploy engine failed."""

    exit_code = 1


class LockedError(ReleaseError):
    """Another operation holds the release lock."""


class LockLostError(ReleaseError):
    """The release lock was lost while held (not renewed in time, taken over by another run)."""


class RecordError(ReleaseError):
    """A release record is damaged: bad payload, unknown schema version, missing or tampered parts."""


class RecordNotFoundError(RecordError):
    """The release, or the asked revision of it, has no record."""


class RecordExistsError(RecordError):
    """A record for this revision already exists: another run wrote it."""


class PlanError(ReleaseError):
    """The plan found objects that cannot be applied as they are; nothing was written (bad input: fix and rerun)."""

    exit_code = 2


class DeployFailedError(ReleaseError):
    """A deploy failed; with atomic (the default) it was rolled back. `result` is the action's result, if any."""

    def __init__(self, message: str, *, hint: str | None = None, result: object = None) -> None:
        super().__init__(message, hint=hint)
        self.result = result
        # The signal (SIGTERM, SIGINT) that cancelled the deploy, if one did: the CLI exits 128 + it.
        self.cancelled: int | None = None


class RollbackFailedError(DeployFailedError):
    """The deploy failed and restoring the previous revision failed too."""

    exit_code = 5


class CancelledError(ReleaseError):
    """SIGTERM or SIGINT (a cancelled CI job, Ctrl-C) stopped a deploy that had nothing to roll back: it was
    cancelled before its first write, or arrived once the deploy had completed. The CLI exits 128 + the signal."""

    def __init__(self, message: str, *, signum: int, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.cancelled = signum
        self.exit_code = 128 + signum


class TrackError(DeploykitError):
    """Readiness tracking ended in failure or could not run."""

    exit_code = 1


class PipelineError(DeploykitError):
    """The pipeline file is invalid or a stage could not run."""


class GateError(PipelineError):
    """A promotion gate is not met (missing or failed evidence)."""

    exit_code = 4


class ReportError(DeploykitError):
    """A report could not be written, signed or verified."""

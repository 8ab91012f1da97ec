"""HTTP requests to the API server: auth from the connection, JSON in and out, retries, error translation.

Every non-2xx answer becomes an `errors.KubeError` (or its 404/409 subclasses)
carrying the server's Status message. Retries: 429 (honouring Retry-After) on
every verb; 5xx and connection failures only on requests that are safe to
repeat (reads, server-side apply, deletes, and the creates whose caller
recognises its own object in a 409: the release Lease and records). Must not log request headers or
bodies (they may hold tokens and secret data).
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import sys
import time
from collections.abc import Iterator, Mapping
from typing import Any

from deploykit import errors
from deploykit.frozen import frozen
from deploykit.kube.connecting import Connection

APPLY_PATCH = "application/apply-patch+yaml"
MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
JSON = "application/json"
# Lists of object metadata only (no spec, data or status), as `kubectl get -o name` asks; a server
# that cannot answer so sends the full list (the second type).
METADATA_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json"

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


@frozen
class RetryPolicy:
    attempts: int = 5
    base_delay: float = 0.1
    max_delay: float = 2.0

    def delay(self, attempt: int, retry_after: str | None) -> float:
        if retry_after:
            try:
                return min(float(retry_after), self.max_delay * 5)
            except ValueError:
                pass
        return min(self.base_delay * (2**attempt), self.max_delay)


def wire_errors() -> tuple[type[BaseException], ...]:
    """What a broken connection raises: the socket's and http.client's errors, and urllib3's once it is in use."""
    urllib3 = sys.modules.get("urllib3")
    return (http.client.HTTPException, OSError) + ((urllib3.exceptions.HTTPError,) if urllib3 else ())


_ERRNO_TEXT = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")


def network_cause(exc: BaseException) -> str:
    """What went wrong on the wire, in words ("connection refused", "timed out"), not a class name."""
    cause: BaseException = exc
    for _ in range(5):  # urllib3 wraps the socket error in reasons: MaxRetryError -> NewConnectionError -> OSError
        reason = getattr(cause, "reason", None)
        if not isinstance(reason, BaseException):
            break
        cause = reason
    if isinstance(cause, OSError) and cause.strerror:
        return cause.strerror.lower()
    text = str(cause)
    if match := _ERRNO_TEXT.search(text):
        return match.group(1).strip().lower()
    urllib3 = sys.modules.get("urllib3")
    if "timed out" in text.lower() or isinstance(cause, TimeoutError) or (
            urllib3 is not None and isinstance(cause, urllib3.exceptions.TimeoutError)):
        return "timed out"
    return "the connection failed"


def _status_error(status: int, payload: bytes, *, method: str, path: str) -> errors.KubeError:
    message, reason = "", None
    try:
        body = json.loads(payload or b"{}")
        if isinstance(body, dict):
            message, reason = body.get("message", ""), body.get("reason")
    except ValueError:
        message = payload[:300].decode("utf-8", "replace")
    text = message or f"{method} {path} answered HTTP {status}"
    error_class = {404: errors.ApiNotFoundError, 409: errors.ApiConflictError}.get(status, errors.KubeError)
    return error_class(text, status=status, reason=reason)


class Http:
    """JSON requests over one connection."""

    def __init__(self, connection: Connection, *, retry: RetryPolicy | None = None, timeout: float = 30.0) -> None:
        self.connection = connection
        self.retry = retry or RetryPolicy()
        self.timeout = timeout

    def _send(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None,
        body: Any,
        content_type: str | None,
        accept: str,
        timeout: float | tuple[float, float] | None,
        stream: bool = False,
    ) -> Any:
        headers = {"Accept": accept}
        if content_type:
            headers["Content-Type"] = content_type
        params = [(k, v) for k, v in (query or {}).items() if v is not None]
        return self.connection.transport.request(method, path, query=params, body=body, headers=headers,
                                                 timeout=timeout, stream=stream)

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
        content_type: str | None = None,
        idempotent: bool | None = None,
        accept: str = JSON,
    ) -> Any:
        """Send one request and return the decoded JSON answer; raise KubeError on failure."""
        if body is not None and content_type is None:
            content_type = JSON
        if idempotent is None:
            idempotent = method in ("GET", "HEAD", "DELETE", "PUT") or content_type == APPLY_PATCH
        attempt = 0
        while True:
            try:
                response = self._send(
                    method, path, query=query, body=body, content_type=content_type, accept=accept,
                    timeout=self.timeout,
                )
                payload = response.data
            except wire_errors() as exc:
                if idempotent and attempt + 1 < self.retry.attempts:
                    time.sleep(self.retry.delay(attempt, None))
                    attempt += 1
                    continue
                raise errors.KubeError(
                    f"cannot reach the API server at {self.connection.host}: {network_cause(exc)}",
                    hint="check the kubeconfig context and that the cluster is up",
                ) from exc
            status = response.status
            if 200 <= status < 300:
                return json.loads(payload) if payload else None
            retryable = status == 429 or (idempotent and status in RETRYABLE_STATUS)
            if retryable and attempt + 1 < self.retry.attempts:
                time.sleep(self.retry.delay(attempt, response.headers.get("Retry-After")))
                attempt += 1
                continue
            raise _status_error(status, payload, method=method, path=path)

    def raw_get(self, path: str, *, query: Mapping[str, Any], accept: str) -> tuple[int, str, bytes]:
        """(status, content type, body) of one GET, as the server answered it (retried only when unreachable)."""
        attempt = 0
        while True:
            try:
                response = self._send("GET", path, query=query, body=None, content_type=None, accept=accept,
                                      timeout=self.timeout)
                return response.status, response.headers.get("Content-Type") or JSON, response.data
            except wire_errors():
                if attempt + 1 >= self.retry.attempts:
                    raise
                time.sleep(self.retry.delay(attempt, None))
                attempt += 1

    def open_stream(self, path: str, *, query: Mapping[str, Any], read_timeout: float) -> "LineStream":
        """GET a streaming endpoint (a watch); the answer is read line by line through the returned handle."""
        try:
            response = self._send(
                "GET", path, query=query, body=None, content_type=None, accept=JSON,
                timeout=(self.timeout, read_timeout), stream=True,
            )
        except wire_errors() as exc:
            raise errors.KubeError(
                f"cannot reach the API server at {self.connection.host}: {network_cause(exc)}"
            ) from exc
        if not 200 <= response.status < 300:
            raise _status_error(response.status, response.read(), method="GET", path=path)
        return LineStream(response, host=self.connection.host)


class LineStream:
    """One streaming answer: iterate it for decoded JSON lines; close() from any thread ends it."""

    def __init__(self, raw: Any, *, host: str) -> None:
        self._raw = raw
        self._host = host
        self.closed = False

    def __iter__(self) -> Iterator[dict]:
        for line in self._raw_lines():
            if line.strip():
                try:
                    yield json.loads(line)
                except ValueError as exc:
                    raise errors.KubeError(f"watch stream from {self._host} sent a line that is not JSON") from exc

    def text_lines(self) -> Iterator[str]:
        """Decoded text lines (pod logs)."""
        for line in self._raw_lines():
            yield line.decode("utf-8", "replace").rstrip("\r")

    def _raw_lines(self) -> Iterator[bytes]:
        buffer = b""
        try:
            for chunk in self._raw.stream(16384, decode_content=True):
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    yield line
            if buffer:
                yield buffer
        except wire_errors() as exc:
            if not self.closed:
                raise errors.KubeError(f"watch stream from {self._host} broke: {network_cause(exc)}") from exc
        finally:
            self.close()

    def read_text(self) -> str:
        """The whole answer as text (for non-JSON streams such as pod logs)."""
        try:
            return self._raw.read(decode_content=True).decode("utf-8", "replace")
        except wire_errors() as exc:
            raise errors.KubeError(f"reading from {self._host} broke: {network_cause(exc)}") from exc
        finally:
            self.close()

    def close(self) -> None:
        """End the stream, also from another thread blocked reading it."""
        if self.closed:
            return
        self.closed = True
        # Closing the response waits for the reader's buffer lock; shutting the socket down
        # first makes a blocked read return at once instead of at the server's watch timeout.
        sock = getattr(getattr(self._raw, "connection", None), "sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        try:
            self._raw.close()
        except Exception:  # noqa: BLE001 - the socket is already shut; nothing more to release
            pass

"""The HTTP transport to one API server: keep-alive connections with its TLS settings and the credentials' header.

Owns `Settings` (where the server is, how to trust it, how to authenticate:
what a kubeconfig context or the in-cluster config come down to) and
`Transport`. Requests go over the standard library's `http.client`, idle
connections kept for reuse (as many as the engine's concurrent requests):
headers and body leave in one write, and a request costs about half the CPU
it does through urllib3, which the engine's 1,000-object plans and applies
feel twice per object. Streams (watches, logs), proxies and a pinned
`assert_hostname` go through urllib3, imported only then. Bodies are encoded
here as JSON (dates as ISO text, as the kubernetes client did).

Not `kubernetes.client.ApiClient`: importing the kubernetes package costs
about half a second per process, and its request path walks every body once
more before encoding it.

Must not: decide retries (requesting does), read kubeconfig files
(kubeconfigs does), or log headers or bodies.
"""

from __future__ import annotations

import dataclasses
import datetime
import http.client
import json
import select
import ssl
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

from deploykit.frozen import frozen

if TYPE_CHECKING:
    import urllib3

USER_AGENT = "deploykit"
# Connections kept per host: above the engine's concurrent requests (16 in planning and applying), so that none is
# opened and dropped per request.
POOL_SIZE = 32


@frozen
class Settings:
    """How to reach and authenticate to one API server."""

    host: str  # https://host:port, no trailing slash
    verify: bool = True
    ca_file: str | None = None
    ca_data: str | None = None  # PEM text
    cert_file: str | None = None
    key_file: str | None = None
    tls_server_name: str | None = None
    assert_hostname: str | bool | None = None
    proxy: str | None = None
    proxy_headers: Mapping[str, str] | None = None
    # The Authorization header's value, asked for on every request (exec credentials and in-cluster tokens refresh).
    authorization: Callable[[], str | None] | None = dataclasses.field(default=None, compare=False)


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def encode_body(body: Any) -> bytes:
    return json.dumps(body, default=_json_default, separators=(",", ":")).encode()


@frozen
class Answer:
    """A whole answer read off a pooled connection."""

    status: int
    headers: Mapping[str, str]
    data: bytes


# A reused connection that turns out closed by the server (idle timeout) before this request reached it.
STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, ConnectionAbortedError)


class Transport:
    """Requests to one API server over pooled keep-alive connections."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.host = settings.host.rstrip("/")
        address = urlsplit(self.host)
        self._https = address.scheme == "https"
        self._address = (address.hostname or "", address.port or (443 if self._https else 80))
        self._prefix = address.path.rstrip("/")
        self._direct = not settings.proxy and settings.assert_hostname is None
        self._tls = tls_context(settings) if self._https and self._direct else None
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self._pool: urllib3.PoolManager | None = None

    def request(
        self, method: str, path: str, *, query: Sequence[tuple[str, Any]] = (), body: Any = None,
        headers: Mapping[str, str], timeout: float | tuple[float, float] | None, stream: bool = False,
    ) -> Any:
        """Send one request: an `Answer` (or, `stream`, urllib3's unread response). Raises http.client's,
        urllib3's and the socket's errors."""
        target = self._prefix + path
        if query:
            target += "?" + urlencode([(key, _query_text(value)) for key, value in query])
        sent = {"User-Agent": USER_AGENT, **headers}
        if self.settings.authorization is not None and (credential := self.settings.authorization()):
            sent["Authorization"] = credential
        payload = None if body is None else encode_body(body)
        if stream or not self._direct:
            return self._through_urllib3(method, target, payload, sent, timeout, stream)
        seconds = timeout[1] if isinstance(timeout, tuple) else timeout
        connection, reused = self._take(seconds)
        try:
            try:
                connection.request(method, target, body=payload, headers=sent)
                response = connection.getresponse()
            except STALE:
                if not reused:
                    raise
                connection.close()
                connection = self._connect(seconds)
                connection.request(method, target, body=payload, headers=sent)
                response = connection.getresponse()
            answer = Answer(response.status, response.headers, response.read())
        except BaseException:
            connection.close()
            raise
        if response.will_close:
            connection.close()
        else:
            self._give_back(connection)
        return answer

    def _take(self, timeout: float | None) -> tuple[http.client.HTTPConnection, bool]:
        """An idle connection still open (and True), else a new one (and False)."""
        while True:
            with self._lock:
                connection = self._idle.pop() if self._idle else None
            if connection is None:
                return self._connect(timeout), False
            if connection.sock is not None and not select.select([connection.sock], [], [], 0)[0]:
                connection.sock.settimeout(timeout)
                return connection, True
            connection.close()  # closed by the server while idle (readable: the end of the stream)

    def _connect(self, timeout: float | None) -> http.client.HTTPConnection:
        host, port = self._address
        if self._tls is not None:
            return _HTTPSConnection(host, port, timeout=timeout, context=self._tls,
                                    server_name=self.settings.tls_server_name)
        return http.client.HTTPConnection(host, port, timeout=timeout)

    def _give_back(self, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            if len(self._idle) < POOL_SIZE:
                self._idle.append(connection)
                return
        connection.close()

    def _through_urllib3(self, method: str, target: str, payload: bytes | None, headers: Mapping[str, str],
                         timeout: float | tuple[float, float] | None, stream: bool) -> Any:
        import urllib3

        with self._lock:
            if self._pool is None:
                self._pool = urllib3_pool(self.settings)
        if isinstance(timeout, tuple):
            limits = urllib3.Timeout(connect=timeout[0], read=timeout[1])
        else:
            limits = urllib3.Timeout(total=timeout) if timeout else None
        return self._pool.request(method, self.host + target[len(self._prefix):], body=payload, headers=headers,
                                  timeout=limits, preload_content=not stream)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
            pool, self._pool = self._pool, None
        for connection in idle:
            connection.close()
        if pool is not None:
            pool.clear()


class _HTTPSConnection(http.client.HTTPSConnection):
    """HTTPS whose certificate is checked against `server_name` (a kubeconfig's tls-server-name) when given."""

    def __init__(self, host: str, port: int, *, timeout: float | None, context: ssl.SSLContext,
                 server_name: str | None) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._server_name = server_name or host

    def connect(self) -> None:
        http.client.HTTPConnection.connect(self)
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self._server_name)


def tls_context(settings: Settings) -> ssl.SSLContext:
    """The TLS settings of a direct connection: the kubeconfig's CA (else the system's), client certificate."""
    context = ssl.create_default_context(cafile=settings.ca_file, cadata=settings.ca_data)
    if not settings.verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if settings.cert_file:
        context.load_cert_chain(settings.cert_file, settings.key_file)
    return context


def urllib3_pool(settings: Settings) -> "urllib3.PoolManager":
    """A urllib3 pool with the same settings, for streams, proxies and a pinned assert_hostname."""
    import urllib3

    pool_args: dict[str, Any] = {
        "cert_reqs": ssl.CERT_REQUIRED if settings.verify else ssl.CERT_NONE,
        "ca_certs": settings.ca_file, "ca_cert_data": settings.ca_data,
        "cert_file": settings.cert_file, "key_file": settings.key_file, "maxsize": POOL_SIZE,
    }
    if settings.assert_hostname is not None:
        pool_args["assert_hostname"] = settings.assert_hostname
    if settings.tls_server_name:
        pool_args["server_hostname"] = settings.tls_server_name
    if not settings.proxy:
        return urllib3.PoolManager(**pool_args)
    if settings.proxy.startswith("socks"):
        from urllib3.contrib.socks import SOCKSProxyManager

        return SOCKSProxyManager(settings.proxy, headers=dict(settings.proxy_headers or {}), **pool_args)
    return urllib3.ProxyManager(settings.proxy, proxy_headers=dict(settings.proxy_headers or {}), **pool_args)


def _query_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)

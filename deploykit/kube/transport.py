"""The HTTP transport to one API server: a urllib3 pool with its TLS settings and the credentials' header.

Owns `Settings` (where the server is, how to trust it, how to authenticate:
what a kubeconfig context or the in-cluster config come down to) and
`Transport` (keep-alive connections, enough for the engine's concurrent
requests, and one request at a time through them). Bodies are encoded here
as JSON (dates as ISO text, as the kubernetes client did).

Plain urllib3 instead of `kubernetes.client.ApiClient`: importing the
kubernetes package costs about half a second per process, and its request
path walks every body once more before encoding it.

Must not: decide retries (requesting does), read kubeconfig files
(kubeconfigs does), or log headers or bodies.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import ssl
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import urllib3

USER_AGENT = "deploykit"
# Connections kept per host: above the engine's concurrent requests (16 in planning and applying), so that none is
# opened and dropped per request.
POOL_SIZE = 32


@dataclasses.dataclass(frozen=True)
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


class Transport:
    """Requests to one API server over pooled keep-alive connections."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.host = settings.host.rstrip("/")
        pool_args: dict[str, Any] = {
            "cert_reqs": ssl.CERT_REQUIRED if settings.verify else ssl.CERT_NONE,
            "ca_certs": settings.ca_file, "ca_cert_data": settings.ca_data,
            "cert_file": settings.cert_file, "key_file": settings.key_file, "maxsize": POOL_SIZE,
        }
        if settings.assert_hostname is not None:
            pool_args["assert_hostname"] = settings.assert_hostname
        if settings.tls_server_name:
            pool_args["server_hostname"] = settings.tls_server_name
        self.pool: urllib3.PoolManager
        if settings.proxy:
            if settings.proxy.startswith("socks"):
                from urllib3.contrib.socks import SOCKSProxyManager

                self.pool = SOCKSProxyManager(settings.proxy, headers=dict(settings.proxy_headers or {}), **pool_args)
            else:
                self.pool = urllib3.ProxyManager(settings.proxy, proxy_headers=dict(settings.proxy_headers or {}),
                                                 **pool_args)
        else:
            self.pool = urllib3.PoolManager(**pool_args)

    def request(
        self, method: str, path: str, *, query: Sequence[tuple[str, Any]] = (), body: Any = None,
        headers: Mapping[str, str], timeout: float | tuple[float, float] | None, stream: bool = False,
    ) -> urllib3.BaseHTTPResponse:
        """Send one request; the answer is read whole unless `stream`. Raises urllib3's and the socket's errors."""
        url = self.host + path
        if query:
            url += "?" + urlencode([(key, _query_text(value)) for key, value in query])
        sent = {"User-Agent": USER_AGENT, **headers}
        if self.settings.authorization is not None and (credential := self.settings.authorization()):
            sent["Authorization"] = credential
        if isinstance(timeout, tuple):
            limits = urllib3.Timeout(connect=timeout[0], read=timeout[1])
        else:
            limits = urllib3.Timeout(total=timeout) if timeout else None
        return self.pool.request(method, url, body=None if body is None else encode_body(body), headers=sent,
                                 timeout=limits, preload_content=not stream)

    def close(self) -> None:
        self.pool.clear()


def _query_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)

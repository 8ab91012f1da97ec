"""The cluster as Helm's `lookup` sees it: a loopback endpoint that reads through deploykit's own connection.

Owns `LookupProxy`: started on first use, it listens on 127.0.0.1 (a random
port; every path must begin with a random token, since Helm sends no bearer
token over plain HTTP), answers GET
requests (discovery, get and list: all `lookup` makes) by making them with
deploykit's authenticated connection, and notes every value of every Secret it
passes on (`data` decoded, and as sent; `stringData`), so that the render can
treat them as secrets: masked in output, fingerprinted in records. Helm gets a
kubeconfig file naming only that endpoint and token (mode 0600, removed on
close); the cluster's own credentials never leave deploykit.

Must not: answer anything but GET, log a request or answer (they hold Secret
data), or pass on a Secret it could not read for its values.
"""

from __future__ import annotations

import base64
import binascii
import http.server
import json
import os
import re
import secrets
import tempfile
import threading
import urllib.parse
from typing import Any

from deploykit.kube.requesting import JSON, Http

# A path that names Secrets: /api/v1/secrets, /api/v1/namespaces/NS/secrets[/NAME]
_SECRETS_PATH = re.compile(r"^/api/v1/(?:namespaces/[^/]+/)?secrets(?:/[^/]+)?/?$")


def secret_values(obj: Any) -> set[str]:
    """Every value of a Secret or of each Secret of a list: `data` both decoded and as sent, `stringData`."""
    found: set[str] = set()
    items = obj.get("items") if isinstance(obj, dict) and isinstance(obj.get("items"), list) else [obj]
    for item in items:
        if not isinstance(item, dict):
            continue
        for key in ("data", "stringData"):
            fields = item.get(key)
            for value in (fields.values() if isinstance(fields, dict) else ()):
                if not isinstance(value, str) or not value:
                    continue
                found.add(value)
                if key == "data":
                    try:
                        found.add(base64.b64decode(value, validate=True).decode("utf-8"))
                    except (binascii.Error, UnicodeDecodeError):
                        pass  # binary data: only its base64 form can appear in text
    found.discard("")
    return found


class LookupProxy:
    """A loopback endpoint for Helm's `lookup`, reading through `http`; `secrets_read()` is what it passed on."""

    def __init__(self, http: Http, *, namespace: str = "default") -> None:
        self._http = http
        self._namespace = namespace
        self._token = secrets.token_urlsafe(32)
        self._read: set[str] = set()
        self._lock = threading.Lock()
        self._server: http.server.ThreadingHTTPServer | None = None
        self._kubeconfig: str | None = None

    def kubeconfig(self) -> str:
        """The path of a kubeconfig naming this endpoint (started on first call)."""
        with self._lock:
            if self._kubeconfig is None:
                self._start()
            assert self._kubeconfig is not None
            return self._kubeconfig

    def secrets_read(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._read)

    def close(self) -> None:
        with self._lock:
            if self._server is not None:
                self._server.shutdown()
                self._server.server_close()
                self._server = None
            if self._kubeconfig is not None:
                try:
                    os.unlink(self._kubeconfig)
                except OSError:
                    pass
                self._kubeconfig = None

    def _start(self) -> None:
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the standard library's name
                proxy._answer(self)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - never log: paths name Secrets
                pass

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, name="deploykit-lookup-proxy", daemon=True).start()
        self._server = server
        handle, path = tempfile.mkstemp(prefix="deploykit-lookup-", suffix=".kubeconfig")
        with os.fdopen(handle, "w", encoding="utf-8") as config:  # mkstemp makes it 0600
            json.dump({
                "apiVersion": "v1", "kind": "Config", "current-context": "lookup",
                "clusters": [{"name": "lookup", "cluster": {
                    "server": f"http://127.0.0.1:{server.server_address[1]}/{self._token}"}}],
                "users": [{"name": "lookup", "user": {}}],
                "contexts": [{"name": "lookup", "context": {"cluster": "lookup", "user": "lookup",
                                                            "namespace": self._namespace}}],
            }, config)
        self._kubeconfig = path

    def _answer(self, request: http.server.BaseHTTPRequestHandler) -> None:
        prefix, _, path = request.path[1:].partition("/")
        if not secrets.compare_digest(prefix, self._token):
            self._send(request, 401, JSON, b'{"kind":"Status","status":"Failure","code":401}')
            return
        parsed = urllib.parse.urlsplit("/" + path)
        query = dict(urllib.parse.parse_qsl(parsed.query))
        names_secrets = bool(_SECRETS_PATH.match(parsed.path))
        accept = JSON if names_secrets else request.headers.get("Accept") or JSON
        try:
            status, content_type, body = self._http.raw_get(parsed.path, query=query, accept=accept)
        except Exception as exc:  # noqa: BLE001 - Helm is told the cluster could not be read, nothing more
            self._send(request, 502, JSON, b'{"kind":"Status","status":"Failure","code":502}')
            return
        if names_secrets and 200 <= status < 300:
            try:
                found = secret_values(json.loads(body))
            except ValueError:  # not JSON: its values cannot be known, so it is not passed on
                self._send(request, 502, JSON, b'{"kind":"Status","status":"Failure","code":502}')
                return
            with self._lock:
                self._read |= found
        self._send(request, status, content_type, body)

    @staticmethod
    def _send(request: http.server.BaseHTTPRequestHandler, status: int, content_type: str, body: bytes) -> None:
        request.send_response(status)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

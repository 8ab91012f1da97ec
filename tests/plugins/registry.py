"""A minimal OCI registry on loopback for chart tests: read-only distribution API, charts put in by the test.

Serves what Helm's registry client asks for when it pulls a chart: tag
lists, manifests (with Docker-Content-Digest) and blobs, over plain HTTP, and
optionally basic auth (401 with a Basic challenge, as a registry does), so
`oci://` dependencies are tested without Docker.
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import threading
from typing import Iterator

import pytest

MANIFEST = "application/vnd.oci.image.manifest.v1+json"
HELM_CONFIG = "application/vnd.cncf.helm.config.v1+json"
HELM_CHART = "application/vnd.cncf.helm.chart.content.v1.tar+gzip"


class ChartRegistry:
    def __init__(self, *, credentials: tuple[str, str] | None = None) -> None:
        self.blobs: dict[str, bytes] = {}
        self.manifests: dict[tuple[str, str], bytes] = {}
        self.authorization = "Basic " + base64.b64encode(":".join(credentials).encode()).decode() if credentials else None
        registry = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_HEAD(self) -> None:  # noqa: N802 - http.server's name
                self.do_GET()

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                if registry.authorization and self.headers.get("Authorization") != registry.authorization:
                    return self._send(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}', {"WWW-Authenticate": 'Basic realm="charts"'})
                status, body, headers = registry.answer(self.path.split("?")[0])
                self._send(status, body, headers)

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                for key, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's signature
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _blob(self, data: bytes) -> dict:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        self.blobs[digest] = data
        return {"digest": digest, "size": len(data)}

    def put_chart(self, repository: str, name: str, version: str, archive: bytes) -> None:
        """Store a packaged chart as Helm pushes it: config (Chart.yaml as JSON) and one chart layer."""
        config = json.dumps({"apiVersion": "v2", "name": name, "version": version}).encode()
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": MANIFEST,
            "config": {"mediaType": HELM_CONFIG, **self._blob(config)},
            "layers": [{"mediaType": HELM_CHART, **self._blob(archive)}],
        }).encode()
        self.manifests[(f"{repository}/{name}", version)] = manifest
        self.manifests[(f"{repository}/{name}", "sha256:" + hashlib.sha256(manifest).hexdigest())] = manifest

    def answer(self, path: str) -> tuple[int, bytes, dict[str, str]]:
        if path.rstrip("/") == "/v2":
            return 200, b"{}", {}
        if path.endswith("/tags/list"):
            repository = path[len("/v2/"):-len("/tags/list")]
            tags = sorted(tag for (name, tag) in self.manifests if name == repository and not tag.startswith("sha256:"))
            return 200, json.dumps({"name": repository, "tags": tags}).encode(), {}
        repository, kind, reference = path[len("/v2/"):].rsplit("/", 2) if path.count("/") >= 4 else ("", "", "")
        if kind == "manifests" and (repository, reference) in self.manifests:
            body = self.manifests[(repository, reference)]
            return 200, body, {"Content-Type": MANIFEST, "Docker-Content-Digest": "sha256:" + hashlib.sha256(body).hexdigest()}
        if kind == "blobs" and reference in self.blobs:
            return 200, self.blobs[reference], {"Content-Type": "application/octet-stream", "Docker-Content-Digest": reference}
        return 404, b'{"errors":[{"code":"NOT_FOUND"}]}', {}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def chart_registry() -> Iterator[ChartRegistry]:
    registry = ChartRegistry()
    yield registry
    registry.close()


@pytest.fixture
def private_chart_registry() -> Iterator[ChartRegistry]:
    """A registry that wants basic auth: user ci, password s3cret-canary."""
    registry = ChartRegistry(credentials=("ci", "s3cret-canary"))
    yield registry
    registry.close()

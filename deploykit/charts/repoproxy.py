"""A loopback stand-in for chart repositories that need the credentials or TLS files of a repositories.yaml entry.

helm-python-sdk gives Helm's downloader a private repositories.yaml without
credentials, so for a repository whose entry in the user's repositories.yaml
has `username`/`password`, `caFile`, `certFile`/`keyFile` or
`insecure_skip_tls_verify`, `dependency update|build` points Helm at this
proxy instead (http://127.0.0.1:PORT/<n>/, in a working copy of the chart),
and the proxy fetches from the real repository with those settings, as Helm's
own getter would: basic auth to the repository's host, and to other hosts
only with `pass_credentials_all`. index.yaml is served with the repository's
absolute chart URLs pointed back at the proxy. The lock is written back with
the real URLs (repositories.py).

Must not: listen anywhere but loopback, or put a credential in a response,
a log line or an error.
"""

from __future__ import annotations

import base64
import http.server
import ssl
import threading
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import yaml

_TIMEOUT_SECONDS = 60
_ABSOLUTE = "__url__/"


def needs_proxy(entry: dict | None) -> bool:
    """True when fetching from this repositories.yaml entry needs more than a plain GET."""
    return bool(entry) and any(entry.get(key) for key in  # type: ignore[union-attr]
                               ("username", "password", "caFile", "certFile", "keyFile", "insecure_skip_tls_verify"))


class _Upstream:
    def __init__(self, url: str, entry: dict) -> None:
        self.base = url.rstrip("/")
        self.host = urllib.parse.urlsplit(self.base).netloc
        self.pass_all = bool(entry.get("pass_credentials_all"))
        username, password = entry.get("username") or "", entry.get("password") or ""
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        self.authorization = f"Basic {token}" if username or password else None
        self.context = ssl.create_default_context(cafile=entry.get("caFile") or None)
        if entry.get("certFile"):
            self.context.load_cert_chain(entry["certFile"], entry.get("keyFile") or None)
        if entry.get("insecure_skip_tls_verify"):
            self.context.check_hostname = False
            self.context.verify_mode = ssl.CERT_NONE

    def fetch(self, url: str) -> tuple[int, bytes]:
        request = urllib.request.Request(url, headers={"User-Agent": "Helm/4 (deploykit)"})
        if self.authorization and (self.pass_all or urllib.parse.urlsplit(url).netloc == self.host):
            request.add_unredirected_header("Authorization", self.authorization)
        try:
            with urllib.request.urlopen(request, timeout=_TIMEOUT_SECONDS, context=self.context) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, f"{exc.code} {exc.reason}".encode()
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            return 502, f"{self.base} cannot be reached: {reason}".encode()


class RepositoryProxy:
    """Serves http://127.0.0.1:PORT/<n>/... from upstream repository n, with its credentials."""

    def __init__(self) -> None:
        self.upstreams: list[_Upstream] = []
        self.failures: list[str] = []  # why an upstream request failed, for the error Helm's vaguer one becomes
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                status, body = proxy.answer(self.path)
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's signature
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="deploykit-repo-proxy", daemon=True)

    def add(self, url: str, entry: dict) -> str:
        """The proxy URL standing for repository `url` (fetched with `entry`'s settings)."""
        self.upstreams.append(_Upstream(url, entry))
        return f"{self.base}/{len(self.upstreams) - 1}"

    def __enter__(self) -> RepositoryProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, path: str) -> tuple[int, bytes]:
        number, _, rest = path.lstrip("/").partition("/")
        if not number.isdigit() or int(number) >= len(self.upstreams):
            return 404, b"not a repository of this proxy"
        upstream = self.upstreams[int(number)]
        target = urllib.parse.unquote(rest[len(_ABSOLUTE):]) if rest.startswith(_ABSOLUTE) else f"{upstream.base}/{rest}"
        status, body = upstream.fetch(target)
        if status != 200:
            self.failures.append(body.decode("utf-8", "replace"))
        if status == 200 and rest.split("?")[0] == "index.yaml":
            body = self._index(body, number, upstream)
        return status, body

    def _index(self, body: bytes, number: str, upstream: _Upstream) -> bytes:
        """index.yaml with absolute chart URLs led through the proxy, so they are fetched with the credentials."""
        try:
            index = yaml.load(body, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        except yaml.YAMLError:
            return body  # Helm reports the bad index itself
        if not isinstance(index, dict) or not isinstance(index.get("entries"), dict):
            return body
        mine = f"{self.base}/{number}/"
        for versions in index["entries"].values():
            for version in versions if isinstance(versions, list) else ():
                urls = version.get("urls") if isinstance(version, dict) else None
                if isinstance(urls, list):
                    version["urls"] = [self._through(url, mine, upstream) for url in urls]
        return yaml.dump(index, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper)).encode("utf-8")

    @staticmethod
    def _through(url: Any, mine: str, upstream: _Upstream) -> Any:
        if not isinstance(url, str) or "://" not in url:
            return url  # relative: resolved against the proxy URL already
        if url.startswith(upstream.base + "/"):
            return mine + url[len(upstream.base) + 1:]
        return mine + _ABSOLUTE + urllib.parse.quote(url, safe="")

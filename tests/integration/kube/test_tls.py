"""deploykit.kube over HTTPS: the kubeconfig's CA, tls-server-name, insecure-skip-tls-verify, token, client certificate.

The simulator serves plain HTTP, so a small TLS server stands in for the API server here (certificates made with
`cryptography`); it answers GET /version and notes the credentials each request brought.
"""

from __future__ import annotations

import base64
import datetime
import http.server
import json
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from deploykit import errors
from deploykit.kube.client import Kube
from deploykit.kube.requesting import RetryPolicy


def issue(name: str, issuer: tuple | None = None, *, ca: bool = False, sans: list | None = None) -> tuple:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    signer_cert, signer_key = issuer if issuer else (None, key)
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(subject)
               .issuer_name(signer_cert.subject if signer_cert else subject).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(signer_key, hashes.SHA256()), key


def pem(cert, key=None) -> bytes:
    text = cert.public_bytes(serialization.Encoding.PEM)
    if key is not None:
        text += key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption())
    return text


class Seen(http.server.BaseHTTPRequestHandler):
    requests: list[dict] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        peer = self.connection.getpeercert()
        Seen.requests.append({"authorization": self.headers.get("Authorization"),
                              "client": dict(item[0] for item in peer["subject"]).get("commonName") if peer else None})
        body = json.dumps({"gitVersion": "v1.37.0"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("pki")
    ca = issue("test-ca", ca=True)
    other_ca = issue("other-ca", ca=True)
    server = issue("api", ca, sans=[x509.DNSName("api.internal")])
    client = issue("deployer", ca)
    files = {"ca": pem(ca[0]), "other_ca": pem(other_ca[0]), "server": pem(*server), "client_cert": pem(client[0]),
             "client_key": client[1].private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                   serialization.NoEncryption())}
    for name, data in files.items():
        (root / name).write_bytes(data)
    return {"root": root, **{name: root / name for name in files}}


@pytest.fixture(scope="module")
def tls_server(pki) -> Iterator[str]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki["server"])
    context.load_verify_locations(pki["ca"])
    context.verify_mode = ssl.CERT_OPTIONAL  # a client certificate is checked when one is sent
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Seen)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def kubeconfig(tmp_path: Path, cluster: dict, user: dict) -> Path:
    path = tmp_path / "config"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "Config", "current-context": "c",
                                "clusters": [{"name": "c", "cluster": cluster}], "users": [{"name": "u", "user": user}],
                                "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}]}))
    return path


def version_through(path: Path) -> str:
    Seen.requests.clear()
    with Kube.connect(kubeconfig=path) as kube:
        kube.http.retry = RetryPolicy(attempts=1)
        return kube.server_version()["gitVersion"]


def test_the_kubeconfigs_ca_and_server_name_are_trusted_and_the_token_sent(tls_server, pki, tmp_path):
    """A cluster with its own CA (every real one) would be refused, or the token would not reach it."""
    ca_data = base64.b64encode(pki["ca"].read_bytes()).decode()
    path = kubeconfig(tmp_path, {"server": tls_server, "certificate-authority-data": ca_data,
                                 "tls-server-name": "api.internal"}, {"token": "t0ken"})
    assert version_through(path) == "v1.37.0"
    assert Seen.requests == [{"authorization": "Bearer t0ken", "client": None}]


def test_a_server_certificate_from_another_ca_is_refused(tls_server, pki, tmp_path):
    """A man in the middle with a certificate of another CA would be handed the token."""
    path = kubeconfig(tmp_path, {"server": tls_server, "certificate-authority": str(pki["other_ca"]),
                                 "tls-server-name": "api.internal"}, {"token": "t0ken"})
    with pytest.raises(errors.KubeError, match="certificate verify failed"):
        version_through(path)
    assert Seen.requests == []


def test_a_certificate_for_another_name_is_refused(tls_server, pki, tmp_path):
    """A certificate issued for another host by the same CA would be accepted for 127.0.0.1."""
    path = kubeconfig(tmp_path, {"server": tls_server, "certificate-authority": str(pki["ca"])}, {})
    with pytest.raises(errors.KubeError, match="certificate verify failed"):
        version_through(path)


def test_insecure_skip_tls_verify_connects_without_the_ca(tls_server, tmp_path):
    """insecure-skip-tls-verify (a throwaway test cluster) would still fail on the unknown CA."""
    assert version_through(kubeconfig(tmp_path, {"server": tls_server, "insecure-skip-tls-verify": True}, {})) == "v1.37.0"


def test_the_client_certificate_is_presented(tls_server, pki, tmp_path):
    """A kubeconfig authenticating with a client certificate (kind, kubeadm) would connect as anonymous."""
    path = kubeconfig(tmp_path, {"server": tls_server, "certificate-authority": str(pki["ca"]),
                                 "tls-server-name": "api.internal"},
                      {"client-certificate": str(pki["client_cert"]), "client-key": str(pki["client_key"])})
    assert version_through(path) == "v1.37.0"
    assert Seen.requests == [{"authorization": None, "client": "deployer"}]

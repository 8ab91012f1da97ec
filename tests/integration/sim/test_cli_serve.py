"""`deploykit sim serve` as a user runs it: listening line, kubeconfig, clean errors."""

from __future__ import annotations

import http.client
import json
import shutil
import pathlib
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
import yaml

DEPLOYKIT = str(pathlib.Path(sys.executable).parent / "deploykit")


def test_serve_writes_a_kubeconfig_with_the_context(tmp_path):
    """The kubeconfig names context deploykit-sim and points at the printed URL."""
    kubeconfig = tmp_path / "kc"
    process = subprocess.Popen([DEPLOYKIT, "sim", "serve", "--kubeconfig-out", str(kubeconfig)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        url = line.split("listening on ")[1].split()[0]
        config = yaml.safe_load(kubeconfig.read_text())
        assert config["current-context"] == "deploykit-sim"
        assert config["clusters"][0]["cluster"]["server"] == url
    finally:
        process.terminate()
        process.wait(10)
    assert process.returncode in (0, -15)


def test_port_in_use_is_a_usage_error(tmp_path):
    """A busy port gives exit 2 and a hint, not a traceback."""
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run([DEPLOYKIT, "sim", "serve", "--port", str(port)], capture_output=True, text=True,
                                timeout=30)
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr and "Traceback" not in result.stderr


def test_bad_fault_option_is_a_usage_error():
    """An error rate above 1 is refused with exit 2."""
    result = subprocess.run([DEPLOYKIT, "sim", "serve", "--error-rate", "2"], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 2 and "error rate 2.0 is not between 0 and 1" in result.stderr


def test_corrupt_state_is_a_usage_error(tmp_path):
    """An unreadable --state snapshot gives exit 2 naming the file."""
    (tmp_path / "state.json").write_text("garbage")
    result = subprocess.run([DEPLOYKIT, "sim", "serve", "--state", str(tmp_path)], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 2 and "state.json" in result.stderr


def test_port_out_of_range_is_a_usage_error():
    """`--port -1` would print a Python traceback (OverflowError from bind) instead of one error line."""
    result = subprocess.run([DEPLOYKIT, "sim", "serve", "--port", "-1"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "--port -1 is not a TCP port" in result.stderr and "Traceback" not in result.stderr


def test_state_that_is_a_file_is_refused_before_serving(tmp_path):
    """A --state path naming a file would serve, then fail at stop saying it 'cannot listen'."""
    state = tmp_path / "state"
    state.write_text("not a directory")
    result = subprocess.run([DEPLOYKIT, "sim", "serve", "--state", str(state)], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 2
    assert f"--state {state} is a file" in result.stderr and "cannot listen" not in result.stderr


def test_unwritable_kubeconfig_is_named_not_blamed_on_the_port(tmp_path):
    """An unwritable --kubeconfig-out would be reported as 'cannot listen on 127.0.0.1:0'."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    target = blocker / "kubeconfig"  # below a regular file: cannot be created
    result = subprocess.run([DEPLOYKIT, "sim", "serve", "--kubeconfig-out", str(target)], capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 2
    assert f"cannot write {blocker}" in result.stderr and "cannot listen" not in result.stderr


def test_help_names_what_each_option_takes():
    """`sim serve --help` would show Python types (`<int>`, `<float>`) where a user expects PORT, DIR, SECONDS."""
    result = subprocess.run([DEPLOYKIT, "sim", "serve", "--help"], capture_output=True, text=True, timeout=30)
    options = [line for line in result.stdout.splitlines() if line.lstrip().startswith("-")]
    assert options and not [line for line in options if "<" in line]
    assert "--port PORT" in result.stdout and "--state DIR" in result.stdout


def _post(url: str, path: str, body: dict) -> dict:
    request = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _post_configmap(url: str, namespace: str, name: str) -> None:
    _post(url, f"/api/v1/namespaces/{namespace}/configmaps",
          {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}})


class Served:
    """`deploykit sim serve OPTIONS` in a subprocess; `.output` is everything it printed once stopped."""

    def __init__(self, *options: str) -> None:
        self.process = subprocess.Popen([DEPLOYKIT, "sim", "serve", *options], stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        self.output = ""

    def __enter__(self) -> "Served":
        self.url = self.process.stdout.readline().split("listening on ")[1].split()[0]
        host, port = self.url.removeprefix("http://").split(":")
        self.host, self.port = host, int(port)
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.output, _ = self.process.communicate(timeout=10)

    def hang_up_after_first_line(self, path: str, before_reading=lambda: None) -> None:
        """GET `path` (a stream), read one line, then close the connection as a killed client does."""
        client = http.client.HTTPConnection(self.host, self.port, timeout=10)
        client.request("GET", path)
        response = client.getresponse()
        assert response.status == 200
        before_reading()
        assert response.readline()
        client.sock.shutdown(socket.SHUT_RDWR)
        client.close()


def test_a_client_closing_its_watch_leaves_no_traceback_in_the_server_log():
    """`kubectl get -w` stopped with Ctrl-C would make `sim serve` print `Cannot write to closing transport`."""
    with Served("--no-controllers") as served:
        served.hang_up_after_first_line("/api/v1/namespaces/default/configmaps?watch=true",
                                        lambda: _post_configmap(served.url, "default", "seen"))
        for index in range(3):
            _post_configmap(served.url, "default", f"after-close-{index}")
            time.sleep(0.2)
    assert "Traceback" not in served.output and "ERROR" not in served.output, served.output


def test_a_client_stopping_to_follow_logs_leaves_no_traceback_in_the_server_log():
    """`kubectl logs -f` stopped with Ctrl-C would make `sim serve` print `Cannot write to closing transport`."""
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "talker", "annotations": {"sim.deploykit.io/logs": "line one"}},
           "spec": {"containers": [{"name": "app", "image": "registry.example.com/app:1.0"}]}}
    with Served("--speed", "20") as served:
        _post(served.url, "/api/v1/namespaces/default/pods", pod)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with urllib.request.urlopen(f"{served.url}/api/v1/namespaces/default/pods/talker", timeout=10) as got:
                if "running" in json.dumps(json.loads(got.read()).get("status", {}).get("containerStatuses")):
                    break
            time.sleep(0.05)
        served.hang_up_after_first_line("/api/v1/namespaces/default/pods/talker/log?follow=true")
        time.sleep(1.5)  # the kubelet's log stream notices the closed connection within a second
    assert "Traceback" not in served.output and "ERROR" not in served.output, served.output


def test_serve_queues_as_many_pending_connections_as_a_real_api_server():
    """A Helm install of thousands of objects (one connection per object at once) would see connections reset."""
    ss = shutil.which("ss")
    if ss is None:
        pytest.skip("needs ss (iproute2) to read the listening socket's backlog")
    process = subprocess.Popen([DEPLOYKIT, "sim", "serve", "--port", "0", "--no-controllers"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        port = process.stdout.readline().split("listening on ")[1].split()[0].rsplit(":", 1)[1].strip("/")
        listening = subprocess.run([ss, "-ltnH", f"sport = :{port}"], capture_output=True, text=True).stdout.split()
    finally:
        process.terminate()
        process.wait(10)
    assert int(listening[2]) >= 4096  # Send-Q of a listening socket is its backlog

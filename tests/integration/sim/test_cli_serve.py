"""`deploykit sim serve` as a user runs it: listening line, kubeconfig, clean errors."""

from __future__ import annotations

import http.client
import json
import pathlib
import socket
import subprocess
import sys
import time
import urllib.request

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


def _post_configmap(url: str, namespace: str, name: str) -> None:
    body = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}}).encode()
    request = urllib.request.Request(f"{url}/api/v1/namespaces/{namespace}/configmaps", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def test_a_client_closing_its_watch_leaves_no_traceback_in_the_server_log():
    """`kubectl get -w` stopped with Ctrl-C would make `sim serve` print `Cannot write to closing transport`."""
    process = subprocess.Popen([DEPLOYKIT, "sim", "serve", "--no-controllers"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        url = process.stdout.readline().split("listening on ")[1].split()[0]
        host, port = url.removeprefix("http://").split(":")
        watcher = http.client.HTTPConnection(host, int(port), timeout=10)
        watcher.request("GET", "/api/v1/namespaces/default/configmaps?watch=true")
        response = watcher.getresponse()
        assert response.status == 200
        _post_configmap(url, "default", "seen")
        assert b'"seen"' in response.readline()
        watcher.sock.shutdown(socket.SHUT_RDWR)
        watcher.close()
        for index in range(3):
            _post_configmap(url, "default", f"after-close-{index}")
            time.sleep(0.2)
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert "Traceback" not in output and "ERROR" not in output, output

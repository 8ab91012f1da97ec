"""With a state directory, objects, CRDs and the resourceVersion counter survive a restart."""

from __future__ import annotations

import os
import stat

import pytest

from deploykit.sim import embedded
from tests.plugins.sim import Http

CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "gadgets.example.com"},
    "spec": {"group": "example.com", "scope": "Namespaced",
             "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget"},
             "versions": [{"name": "v1", "served": True, "storage": True,
                           "schema": {"openAPIV3Schema": {"type": "object",
                                                          "x-kubernetes-preserve-unknown-fields": True}}}]},
}


def test_objects_survive_restart(tmp_path):
    """A ConfigMap and a custom resource are still there, unchanged, after a restart on the same state dir."""
    first = embedded.start(state_dir=str(tmp_path))
    http = Http(first.url)
    _, cm, _ = http("POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "kept"}, "data": {"a": "1"}})
    assert http("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", CRD)[0] == 201
    assert http("POST", "/apis/example.com/v1/namespaces/default/gadgets",
                {"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g"}})[0] == 201
    first.stop()

    second = embedded.start(state_dir=str(tmp_path))
    try:
        http = Http(second.url)
        code, again, _ = http("GET", "/api/v1/namespaces/default/configmaps/kept")
        assert code == 200 and again == cm
        assert http("GET", "/apis/example.com/v1/namespaces/default/gadgets/g")[0] == 200
        _, newer, _ = http("POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "new"}})
        assert int(newer["metadata"]["resourceVersion"]) > int(cm["metadata"]["resourceVersion"])
    finally:
        second.stop()


def test_state_file_is_private(tmp_path):
    """The snapshot is readable by its owner only (it holds Secrets as the API does)."""
    handle = embedded.start(state_dir=str(tmp_path))
    handle.stop()
    mode = stat.S_IMODE(os.stat(tmp_path / "state.json").st_mode)
    assert mode == 0o600


def test_unreadable_state_is_reported(tmp_path):
    """A corrupt snapshot stops start-up with a message naming the file."""
    (tmp_path / "state.json").write_text("{not json")
    with pytest.raises(RuntimeError) as caught:
        embedded.start(state_dir=str(tmp_path))
    assert "state.json" in str(caught.value)

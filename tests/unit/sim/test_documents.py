"""The registry and the documents built from it (discovery, OpenAPI) follow CRDs as they come and go."""

from __future__ import annotations

import json

import pytest

from deploykit.sim import api as api_mod
from deploykit.sim import discovery, openapi

CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {"group": "example.com", "scope": "Namespaced",
             "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
             "versions": [{"name": "v1", "served": True, "storage": True,
                           "schema": {"openAPIV3Schema": {"type": "object"}}}]},
}


@pytest.fixture
def api():
    return api_mod.Api()


def _crds(api):
    return api.registry.lookup("apiextensions.k8s.io", "v1", "customresourcedefinitions")


def test_discovery_lists_a_crd_from_its_creation_to_its_deletion(api):
    """kubectl would not find a new custom kind, or would still offer a deleted one, from cached discovery."""
    docs = discovery.Discovery(api.registry)
    assert docs.resource_list("example.com", "v1") is None
    api.create(_crds(api), None, CRD, manager="test")
    assert [r["kind"] for r in docs.resource_list("example.com", "v1")["resources"]] == ["Widget"]
    api.delete(_crds(api), None, "widgets.example.com")
    assert docs.resource_list("example.com", "v1") is None


def test_openapi_documents_a_crd_once_it_exists(api):
    """kubectl's client-side validation would miss a custom kind whose schema came after the first fetch."""
    docs = openapi.Documents(api.registry, api)
    assert "apis/example.com/v1" not in json.loads(docs.v3_index())["paths"]
    assert docs.v3("apis/example.com/v1") is None
    api.create(_crds(api), None, CRD, manager="test")
    assert "apis/example.com/v1" in json.loads(docs.v3_index())["paths"]
    assert "com.example.v1.Widget" in json.dumps(json.loads(docs.v3("apis/example.com/v1"))["components"])


def test_the_registry_finds_a_type_by_kind_while_its_crd_exists(api):
    """A controller resolving an ownerReference's apiVersion/kind would miss custom kinds, or find deleted ones."""
    assert api.registry.by_kind("apps/v1", "Deployment").plural == "deployments"
    assert api.registry.by_kind("example.com/v1", "Widget") is None
    api.create(_crds(api), None, CRD, manager="test")
    assert api.registry.by_kind("example.com/v1", "Widget").plural == "widgets"
    api.delete(_crds(api), None, "widgets.example.com")
    assert api.registry.by_kind("example.com/v1", "Widget") is None

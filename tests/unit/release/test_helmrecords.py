"""Helm's release records decoded, and what a deploykit record keeps of them (pure)."""

from __future__ import annotations

import base64

import pytest

from deploykit import errors
from deploykit.release import helmrecords

DEPLOYED = {
    "name": "web", "namespace": "shop", "version": 2, "config": {"password": "x"},
    "info": {"status": "deployed", "first_deployed": "2026-01-01T00:00:00Z"},
    "chart": {"metadata": {"name": "web", "version": "1.0.0", "appVersion": "1.0"},
              "values": {"image": "app:1"},
              "templates": [{"name": "templates/cm.yaml", "data": base64.b64encode(b"kind: ConfigMap\n").decode()}],
              "files": [{"name": "README.md", "data": base64.b64encode(b"hello").decode()}]},
    "manifest": "---\n# Source: web/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n",
}


def revision_of(secret: dict) -> helmrecords.HelmRevision:
    labels = secret["metadata"]["labels"]
    return helmrecords.HelmRevision(labels["name"], "shop", int(labels["version"]), labels["status"], secret)


def test_a_record_in_helms_format_decodes():
    """Helm's record (base64 of gzip of JSON inside the Secret's base64) would not be read."""
    secret = helmrecords.tombstone(DEPLOYED, revision=3, now="2026-02-02T00:00:00Z", description="adopted")
    release = helmrecords.decode(revision_of(secret))
    assert (release["version"], release["info"]["status"], release["manifest"]) == (3, "pending-upgrade", "")
    assert secret["metadata"]["name"] == "sh.helm.release.v1.web.v3"


def test_a_damaged_record_names_its_secret():
    """A damaged Helm record would fail with a decoding traceback instead of naming the Secret."""
    secret = {"metadata": {"labels": {"name": "web", "version": "2", "status": "deployed"}},
              "data": {"release": base64.b64encode(b"not gzip").decode()}}
    with pytest.raises(errors.RecordError, match=r"sh\.helm\.release\.v1\.web\.v2"):
        helmrecords.decode(revision_of(secret))


def test_the_chart_is_rebuilt_from_helms_record():
    """The adopted revision would not keep the chart Helm deployed (metadata, values, templates, files)."""
    files = helmrecords.chart_files(DEPLOYED)
    assert files["templates/cm.yaml"] == b"kind: ConfigMap\n" and files["README.md"] == b"hello"
    assert b"name: web" in files["Chart.yaml"] and b"image: app:1" in files["values.yaml"]
    assert helmrecords.chart_digest(files) == helmrecords.chart_digest(dict(files))


def test_the_manifest_objects_are_read_in_helms_order():
    """Helm's manifest would not be split into its objects."""
    assert [o["metadata"]["name"] for o in helmrecords.manifest_objects(DEPLOYED)] == ["web"]


def test_the_crds_of_the_charts_crds_folder_are_read_from_helms_record():
    """The CRDs Helm installed from crds/ (outside its manifest) would not be found, so not adopted with the release."""
    crd = b"apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: a.x.io}\n"
    files = [{"name": "crds/a.yaml", "data": base64.b64encode(crd + b"---\nkind: ConfigMap\n").decode()},
             {"name": "crds/notes.txt", "data": base64.b64encode(crd).decode()},
             {"name": "files/b.yaml", "data": base64.b64encode(crd).decode()}]
    release = {**DEPLOYED, "chart": {**DEPLOYED["chart"], "files": files}}
    assert [obj["metadata"]["name"] for obj in helmrecords.crd_objects(release)] == ["a.x.io"]

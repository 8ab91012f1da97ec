"""The pure parts of the crds/ CRD rule: stored versions a change would drop, and crds/ CRDs in older records."""

from deploykit.release import records, sharedcrds

CRD = "apiextensions.k8s.io/v1", "CustomResourceDefinition"


def _record(files: dict[str, bytes], names: tuple[str, ...], **fields) -> records.Record:
    return records.Record(name="web", namespace="shop", revision=1, status="deployed", created="", updated="",
                          chart=records.ChartIdentity("web", "1.0.0"), chart_files=files,
                          objects=[records.AppliedObject(*CRD, None, name) for name in names], **fields)


def _crd_file(name: str) -> bytes:
    return f"apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {{name: {name}}}\n".encode()


def test_a_stored_version_missing_from_the_new_crd_is_named():
    """A change removing the version objects are stored in would be applied, making them unreadable."""
    live = {"status": {"storedVersions": ["v1alpha1", "v1"]}}
    assert sharedcrds.dropped_stored_versions(live, {"spec": {"versions": [{"name": "v1"}, {"name": "v2"}]}}) == ["v1alpha1"]
    assert sharedcrds.dropped_stored_versions(live, {"spec": {"versions": [{"name": "v1alpha1"}, {"name": "v1"}]}}) == []


def test_an_older_record_names_its_crds_folder_crds_not_its_templated_ones():
    """Uninstalling a release an older deploykit installed would delete its crds/ CRDs, or keep its templates/ CRDs."""
    record = _record({"crds/a.yaml": _crd_file("a.example.com"), "charts/db/crds/b.yml": _crd_file("b.example.com"),
                      "templates/c.yaml": _crd_file("c.example.com")},
                     ("a.example.com", "b.example.com", "c.example.com"))
    assert sharedcrds.recorded_as_objects(record) == {"a.example.com", "b.example.com"}


def test_a_record_listing_crds_apart_needs_no_guess():
    """A CRD of templates/ named like a crds/ one in a new record would escape pruning and uninstall."""
    record = _record({"crds/a.yaml": _crd_file("a.example.com")}, ("a.example.com",),
                     crds=(records.AppliedObject(*CRD, None, "x.example.com"),))
    assert sharedcrds.recorded_as_objects(record) == frozenset()

"""Chart.lock's digest computed as Helm 4 computes it (resolver.HashReq), so a lock Helm wrote is recognised as current."""

from deploykit.charts import lockfile


def test_digest_matches_the_one_helm_wrote_for_every_dependency_field():
    """Every chart whose lock Helm wrote would be refused as out of date (or a stale one accepted)."""
    required = [{
        "name": "x", "version": "^1.2.0", "repository": "http://127.0.0.1:39161", "condition": "x.enabled",
        "tags": ["a", "b"], "import-values": [{"parent": "bar", "child": "foo"}, "data"], "alias": "xx",
    }]
    locked = [{"name": "x", "repository": "http://127.0.0.1:39161", "version": "1.2.3"}]
    # Chart.lock written by helm-python-sdk 0.2.2 (Helm v4.2.3) `dependency update` for this Chart.yaml
    assert lockfile.digest(required, locked) == "sha256:1e434f2a584d61368c27747056dab25ccc2ebaa84c37d53bf15f6001dfda7341"


def test_a_changed_constraint_changes_the_digest():
    """Editing a dependency's version in Chart.yaml without updating the lock would go unnoticed."""
    locked = [{"name": "x", "repository": "https://charts.example.com", "version": "1.2.3"}]
    before = lockfile.digest([{"name": "x", "version": "^1.2.0", "repository": "https://charts.example.com"}], locked)
    after = lockfile.digest([{"name": "x", "version": "~1.2.0", "repository": "https://charts.example.com"}], locked)
    assert before != after

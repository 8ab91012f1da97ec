"""Sealing a release's fingerprint key with real sops, from wherever the deploy runs."""

from __future__ import annotations

from deploykit.secrets import metadata, sealing


def test_sealing_ignores_the_path_rules_of_the_working_folders_sops_yaml(sops_project, monkeypatch):
    """`deploykit upgrade` run from a repository root with a .sops.yaml would fail: "no matching creation rules"."""
    secret = sops_project.encrypt("secrets/app.yaml", "password: hunter2-sealed\n")
    monkeypatch.chdir(sops_project.root)
    like = metadata.read(secret.read_bytes(), fmt="yaml")
    key = sealing.new_key()
    sealed = sealing.seal(key, like=like, source="release app")
    assert sealing.open_sealed(sealed, source="release app") == key

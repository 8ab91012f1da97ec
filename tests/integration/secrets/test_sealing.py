"""Sealing a release's fingerprint key with real sops, to the recipients of its secret files."""

from deploykit.secrets import metadata, sealing


def test_sealing_works_in_a_project_whose_sops_rules_name_only_its_secret_files(sops_project, monkeypatch):
    """The first plan or upgrade with secrets, run from a project whose .sops.yaml rules match secrets/*, failed:
    sops refused to encrypt the fingerprint key ("no matching creation rules found")."""
    path = sops_project.encrypt("secrets/app.yaml", "password: s3cret\n")
    monkeypatch.chdir(sops_project.root)
    like = metadata.read(path.read_bytes(), fmt="yaml")
    key = sealing.new_key()
    sealed = sealing.seal(key, like=like, source="secrets/app.yaml")
    assert sealing.open_sealed(sealed, source="secrets/app.yaml") == key

"""Integration tests of deploykit.secrets: real sops, real gpg, the example keys."""

"""Unit tests of deploykit.secrets: pure logic, no sops, no gpg."""

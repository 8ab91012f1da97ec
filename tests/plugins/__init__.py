"""Shared pytest fixtures, one plugin module per area, listed in tests/conftest.py."""

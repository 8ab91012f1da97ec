"""Shared fixtures for secrets tests."""

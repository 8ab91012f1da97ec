"""Shared fixtures for charts tests."""

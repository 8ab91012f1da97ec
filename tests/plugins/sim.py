"""Shared fixtures for sim tests."""

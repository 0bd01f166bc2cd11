"""Helpers shared by the test suites (importable as `support` from the tests directory)."""

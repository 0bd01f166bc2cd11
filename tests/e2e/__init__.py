"""End-to-end tests: real `meltano run` pipelines against emulators and a real PostgreSQL.

A package, so that its `conftest` does not shadow `tests/conftest.py` for modules that import
from `conftest`.
"""

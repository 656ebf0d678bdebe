"""Benchmarks (run as scripts: `.venv/bin/python bench/routing.py`, `bench/claims.py`)."""

"""Fault injection for tests: a TCP cutter in front of PostgreSQL."""

"""Benchmarks run by hand (`make bench-backoffice`); not part of the test suite."""

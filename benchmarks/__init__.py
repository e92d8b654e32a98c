"""Benchmarks of this project side by side with a baseline: `python -m benchmarks NAME`
(overhead, sweep, memory, precision, report, all); see benchmarks/__main__.py."""

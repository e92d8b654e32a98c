"""Speed benchmarks, run as modules: `python -m benchmarks.report_speed`."""

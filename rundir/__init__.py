"""The run directory: the records a sweep leaves on disk, the bottom floor.

Training writes these files and everything above judges from them alone
(`claims/`, `reports/`, `load_results`), so this package imports no
TensorFlow, no model and no engine. It holds the error type every layer
raises (`errors`), the records and their layout (`records`), and the lock
that keeps one runner per directory (`lock`).
"""

"""Hyperparameter sweeps over the article CNNs and VGG16 with Keras Tuner.

A sweep file imports what it needs from here:

    from search import Sweep, ImageFolder, SneakersCNN

and Python code runs a sweep and reads its results with
`search.run_sweep(sweep)` (search.api), `search.load_results(run_dir)` (rundir.records)
and `search.load_claims(run_dir)` (claims.frame). A claim of your own is a
`search.Compare(...)` in the sweep's `claims` (claims.stated).

The names load on first use (PEP 562), so a command that never touches a
model (`--help`, the run lock, the data check) does not pay for importing
TensorFlow.
"""

import importlib as _importlib
import sys as _sys

from search.quiet import quiet_native_logs as _quiet_native_logs

_quiet_native_logs()  # before anything here can import TensorFlow

_EXPORTS = {
    "Sweep": "search.sweep.spec", "Range": "search.sweep.spec", "EarlyStopping": "search.sweep.spec",
    "MedianStopping": "search.training.pruning", "Seeds": "search.sweep.seeds", "SweepError": "rundir.errors",
    "ImageFolder": "search.data.sources", "TrainTestFolders": "search.data.sources", "Digits": "search.data.sources",
    "Cifar10": "search.data.sources", "Arrays": "search.data.sources", "ImageData": "search.data.sources",
    "FashionMNIST": "search.data.fashion_mnist",
    "SneakersCNN": "search.models.articles", "HollywoodCNN": "search.models.articles", "Cifar10CNN": "search.models.articles",
    "BreastCancerCNN": "search.models.articles", "DigitsCNN": "search.models.articles", "VGG16": "search.models.articles",
    "run_sweep": "search.api", "load_results": "rundir.records", "SweepResult": "search.sweep.result",
    "Compare": "claims.stated", "load_claims": "claims.frame",
}

# Modules that load without Keras (no start-up lines to filter).
_NO_BACKEND = {"search.sweep.seeds", "rundir.errors", "search.api", "rundir.records", "claims.stated",
               "claims.frame"}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'search' has no attribute {name!r}")
    if "tensorflow" in _sys.modules or module in _NO_BACKEND:
        loaded = _importlib.import_module(module)
    else:  # the first name that loads Keras: keep TensorFlow's native start-up lines off the console
        from search.quiet import native_startup_filtered

        with native_startup_filtered():
            loaded = _importlib.import_module(module)
    value = getattr(loaded, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])

"""`python -m search.check DATA`: check an image folder before sweeping on it.

Decodes the folder as a sweep would (same split, size and resize) and runs
`search.data.datacheck`: one `warning:` line per problem, then plain facts
(resolution of the validation set, how long it took). Mistakes print one
`error:` line and exit with status 2, as `search.run` does. Exit status 0
whether or not there were warnings: they are advice, not failures.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from rundir.errors import OneLineParser


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from search.data.images import RESIZE_MODES

    p = OneLineParser(prog="python -m search.check", description="Check an image folder for shortcut cues, duplicates, "
                "a too small validation set and class imbalance.")
    p.add_argument("data", help="folder of class sub-folders, or a folder with train/ and test/")
    p.add_argument("--image-size", type=int, default=64, help="decode at N x N pixels, as the sweep will (default 64)")
    p.add_argument("--resize", choices=RESIZE_MODES, default="stretch",
                   help="how non-square images become square (default stretch, as the articles)")
    p.add_argument("--validation-split", type=float, default=0.2, help="share of images for validation (default 0.2)")
    p.add_argument("--seed", type=int, default=123, help="split seed (default 123, as the articles)")
    p.add_argument("--json", type=Path, help="also write the whole check to this JSON file")
    p.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    return p.parse_args(argv)


def source_for(folder: Path, validation_split: float, seed: int):
    """TrainTestFolders when the folder holds train/ and test/, else an ImageFolder split."""
    from search.data.sources import ImageFolder, TrainTestFolders

    if (folder / "train").is_dir() and (folder / "test").is_dir():
        return TrainTestFolders(folder)
    return ImageFolder(folder, validation_split=validation_split, seed=seed)


PRINTED = {"warnings": 0}  # `warning:` lines printed while loading (skipped files), counted in the summary


def _count_and_print(message, *rest, **kw) -> None:
    PRINTED["warnings"] += 1
    print(f"warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    PRINTED["warnings"] = 0
    warnings.showwarning = _count_and_print
    from rundir.errors import SweepError

    try:
        return _main(args)
    except SweepError as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code


def _main(args: argparse.Namespace) -> int:
    import json
    import time

    from search.data.datacheck import check_data
    from rundir.errors import SweepError

    if args.image_size < 4:
        raise SweepError(f"--image-size must be at least 4, not {args.image_size}")
    source = source_for(Path(args.data), args.validation_split, args.seed)
    started = time.perf_counter()
    data = source.load(args.image_size, args.resize)
    decoded = time.perf_counter() - started
    started = time.perf_counter()
    import sklearn.model_selection  # noqa: F401  (in a sweep, Keras Tuner has loaded it already)
    import sklearn.naive_bayes  # noqa: F401

    imported = time.perf_counter() - started
    check = check_data(data, args.image_size, args.resize)
    for line in check.warnings:
        print(f"warning: {line}", file=sys.stderr)
    skipped = PRINTED["warnings"]
    total = len(check.warnings) + skipped
    print(f"data check of {data.source}: {len(data.y_train)} training / {len(data.y_val)} validation images, "
          f"{data.num_classes} classes, {total} warning{'s' if total != 1 else ''}"
          + (f" ({skipped} while reading the files, {len(check.warnings)} from the check)" if skipped else ""))
    for note in check.notes:
        print(f"  {note}")
    print(f"  decoding took {decoded:.2f} s, the check {check.seconds:.2f} s (and {imported:.2f} s importing "
          "scikit-learn)")
    if args.json:
        args.json.write_text(json.dumps(check.to_json(), indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`python -m reports RUN_DIR`: rebuild a sweep's report.html from disk alone.
`python -m reports compare RUN_DIR [RUN_DIR ...] [--out FILE]`: one scorecard
page of the article claims across several studies (`reports.scorecard`),
with scorecard.csv beside it.

Useful while a sweep is still running (to look at partial results) or after
changing the report code; no training and no sweep file are needed. Prints
the page's path; a missing or invalid run directory is one line on stderr
and exit status 2, like every user error in this project.
"""

from __future__ import annotations

import sys
from pathlib import Path

from rundir.errors import OneLineParser, SweepError


def compare_parser() -> OneLineParser:
    parser = OneLineParser(prog="python -m reports compare",
                           description="One scorecard page of the article claims across studies.")
    parser.add_argument("run_dirs", type=Path, nargs="+", metavar="RUN_DIR", help="a study's run directory")
    parser.add_argument("--out", type=Path, default=Path("scorecard.html"),
                        help="the page to write (default scorecard.html); scorecard.csv goes beside it")
    parser.add_argument("--label", action="append", default=[], metavar="TEXT",
                        help="a study's column heading, once per RUN_DIR in order (default: its folder name)")
    return parser


def report_parser() -> OneLineParser:
    parser = OneLineParser(prog="python -m reports", description="Build report.html for a sweep's run directory.")
    parser.add_argument("run_dir", type=Path, help="the sweep's run directory (holds sweep.json)")
    return parser


def compare(argv: list[str]) -> int:
    parser = compare_parser()
    args = parser.parse_args(argv)
    if args.label and len(args.label) != len(args.run_dirs):
        parser.error(f"--label given {len(args.label)} times for {len(args.run_dirs)} run directories")
    try:
        from reports.scorecard import write_scorecard

        path = write_scorecard(args.run_dirs, args.out, args.label or None)
    except SweepError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:
        print(f"error: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["compare"]:
        return compare(argv[1:])
    args = report_parser().parse_args(argv)
    try:
        from reports.html import write_report

        path = write_report(args.run_dir)
    except SweepError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())

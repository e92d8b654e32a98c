"""`python -m reports RUN_DIR`: rebuild a sweep's report.html from disk alone.

Useful while a sweep is still running (to look at partial results) or after
changing the report code; no training and no sweep file are needed. Prints
the report's path; a missing or invalid run directory is one line on stderr
and exit status 2, like every user error in this project.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rundir.errors import SweepError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reports",
                                     description="Build report.html for a sweep's run directory.")
    parser.add_argument("run_dir", type=Path, help="the sweep's run directory (holds sweep.json)")
    args = parser.parse_args(argv)
    try:
        from reports.html import write_report

        path = write_report(args.run_dir)
    except SweepError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return SweepError.exit_code
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The one exception type a user is meant to see.

Everything the user can fix (a missing folder, a typo in a sweep file, an
unknown hyperparameter) is raised as `SweepError` with a one-line message
naming the file and what is wrong; the CLI prints it without a traceback and
exits with status 2. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse


class SweepError(Exception):
    """A problem with the user's input, worded for the user.

    `exit_code` 1 marks a sweep that ran but could not finish (every run
    failed, workers lost); 2, the default, a mistake in the input.
    """

    exit_code = 2

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code


class OneLineParser(argparse.ArgumentParser):
    """argparse for every command of the project: a bad flag is one `error:` line and exit status 2,
    like every other mistake in the input, not argparse's usage block."""

    def error(self, message):
        self.exit(2, f"error: {message} (see --help)\n")

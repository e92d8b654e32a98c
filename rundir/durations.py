"""How long something took, in words: the one owner of durations on the console and in the report.

Two forms, each for one place: `clock` for progress lines, where width
matters ("2m05s"), and `duration` for sentences and tables (the report, its
header, the cost estimate: "3.2 min").
"""

from __future__ import annotations

import datetime as dt
import math

UNKNOWN = "–"


def clock(seconds: float) -> str:
    """'7s', '2m05s', '1h05m': whole seconds, for progress lines."""
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def duration(seconds: float | None) -> str:
    """'0.42 s', '8.3 s', '42 s', '3.2 min', '1.5 h'; a dash when unknown."""
    if seconds is None or not math.isfinite(float(seconds)) or seconds < 0:
        return UNKNOWN
    seconds = float(seconds)
    if seconds < 10:
        return f"{seconds:.2g} s"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def between(started: str, ended: str) -> float | None:
    """Seconds from one ISO time stamp to another; None when either is missing or unreadable."""
    try:
        return (dt.datetime.fromisoformat(ended) - dt.datetime.fromisoformat(started)).total_seconds()
    except (ValueError, TypeError):
        return None

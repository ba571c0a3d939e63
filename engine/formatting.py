"""How durations read, everywhere: the trainer's log, the training dialog, the batch dialog."""

from __future__ import annotations


def format_duration(seconds: float | None) -> str:
    """``m:ss`` under an hour, ``h:mm:ss`` above; ``"?"`` when unknown (None).

    The one formatter of elapsed times and ETAs, for the trainer's log, the training dialog and
    the batch dialog alike. Negative values count as 0.
    """
    if seconds is None:
        return "?"
    s = max(0, round(seconds))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def estimate_remaining(elapsed: float, fraction: float, min_fraction: float = 0.02) -> float | None:
    """Seconds left when ``fraction`` of the work took ``elapsed`` seconds, at the same pace;
    None before ``min_fraction`` is done (too early to tell) or once it is all done."""
    if fraction < min_fraction or fraction >= 1.0 or elapsed < 0:
        return None
    return elapsed * (1.0 - fraction) / fraction

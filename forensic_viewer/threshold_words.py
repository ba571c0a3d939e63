"""Where a mask's pixel threshold comes from, in the words of every report and the viewer's
mask controls: "calibrated" only when the checkpoint records that it was chosen on validation
data (``engine.calibration.pixel_threshold_calibrated``, a result's
``pixel_threshold_calibrated``), else the pixel threshold stored in the checkpoint.

A walk-through (2026-12-06) found a freshly trained model's untuned 0.5 called "the model's
calibrated pixel threshold" in its report, one row above "not calibrated; run forensic-train
calibrate": these words had been said of every mask whatever its header recorded. Moved out of
:mod:`forensic_viewer.wording` with that change. No Qt.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from forensic_viewer.wording import threshold_figure

CALIBRATED = "calibrated"  # the viewer's reset button, "calibrated 0.35"
STORED = "stored"  # ... "stored 0.5": a threshold no calibration chose


def own_threshold_word(calibrated: bool | None) -> str:
    """The one word for a mask's own threshold on the viewer's reset button and in the case
    log's reset lines: :data:`CALIBRATED` or :data:`STORED`."""
    return CALIBRATED if calibrated else STORED


def pixel_threshold_words(calibrated: bool | None) -> str:
    """A model's own pixel threshold: "the model's calibrated pixel threshold", "the pixel
    threshold stored in its checkpoint (not calibrated)", or, where whether it was chosen is
    not known (a row written before it was recorded, its checkpoint's header not at hand),
    "the pixel threshold stored in its checkpoint"."""
    if calibrated:
        return "the model's calibrated pixel threshold"
    if calibrated is None:
        return "the pixel threshold stored in its checkpoint"
    return "the pixel threshold stored in its checkpoint (not calibrated)"


def mask_source_words(role: str, calibrated: bool | None = None) -> str:
    """Where a mask's pixel threshold comes from: the one a report draws, the viewer's own
    value (its threshold slider starts there and moves only the screen's mask). An ensemble
    file's is chosen by ``forensic-train ensemble``/``verdict`` and records no choice."""
    if role == "ensemble":
        return "the ensemble's calibrated pixel threshold, from its ensemble file"
    if calibrated:
        return f"{pixel_threshold_words(True)}, from its checkpoint"
    return pixel_threshold_words(calibrated)


def moved_threshold_words(
    moved: Mapping[str, tuple[float, float]], stored: Collection[str] = ()
) -> str:
    """One sentence for a report whose viewer showed masks at other thresholds than the
    models' own: ``moved`` gives, per model, (the slider's threshold, the model's own);
    ``stored``, the models whose own threshold no calibration chose."""
    shown = ", ".join(
        f"{name} at {threshold_figure(v)} ({own_threshold_word(name not in stored)} "
        f"{threshold_figure(c)})"
        for name, (v, c) in moved.items()
    )
    own = (
        "its calibrated pixel threshold"
        if not set(stored) & set(moved)
        else 'its model\'s own pixel threshold (as its "Pixel threshold (mask)" row says)'
    )
    return (
        f"When this report was written, the viewer's threshold slider showed the mask of {shown}; "
        f"this report draws every mask at {own}, which anyone "
        "repeating the analysis gets, not at the slider's."
    )

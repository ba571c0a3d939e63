"""Which of the loader's warnings limit what was analysed.

``engine.io.load_evidence`` words every conversion and oddity of a file in
``Evidence.warnings``, and the command line, results.csv and the reports print them as
written. Some of them say that what the networks and analyses saw is less than the file holds:
frames left out, samples reduced to 8 bits, transparency discarded, CMYK converted without its
colour profile, a preview analysed in place of its image, pixels set to 0, HEVC coding the
verdicts were not measured on. :func:`analysis_limits` picks those out, in the loader's own
words (never reworded), for the places that speak of a verdict: the viewer's Verdict panel
showed none of them, only its Metadata tab listed every warning. The others (a name that is
not its format, bytes after the image's end, an alpha channel opaque everywhere, orientation,
an orientation tag outside 1-8, a colour profile not applied: the networks read the stored
values, as their training images were read) change nothing of what was analysed.

Recognised by the loader's fixed phrases, not its figures; tests load a file of each kind
(tests/engine/test_decode_limits.py), so a reworded warning is caught there."""

from __future__ import annotations

import re
from collections.abc import Iterable

from engine.heif import HEIF_VERDICT_NOTE

_LIMITS = (
    # "12 frames: only the first is analysed" (io._count_frames, its HEIF and APNG forms too)
    re.compile(r"\bonly the .+ is analysed$"),
    # a TIFF's first page marked a reduced-resolution copy (io.load_evidence)
    re.compile(r": that preview is analysed$"),
    # "16 bits per channel reduced to 8 by the decoder ..." (io._reduced_depth; HEIF's 10/12)
    re.compile(r"^\d+ bits per channel reduced to 8\b"),
    # 16/32-bit and float data mapped to 8 bits (rgb._wide_to_rgb): "... -> 0..255",
    # "... min-max rescaled to 0..255"
    re.compile(r"(-> |rescaled to )0\.\.255\b"),
    # "transparency present in N of M pixels: alpha discarded, ..." (rgb._transparent_words)
    re.compile(r"^transparency present in .+: alpha discarded\b"),
    re.compile(r"^CMYK converted to RGB without colour management$"),  # rgb.to_rgb
    re.compile(r"NaN/inf: those pixels set to 0$"),  # rgb._wide_to_rgb
)


def limits_analysis(warning: str) -> bool:
    """Whether the loader's ``warning`` says that what was analysed is less than the file."""
    return warning == HEIF_VERDICT_NOTE or any(p.search(warning) for p in _LIMITS)


def analysis_limits(warnings: Iterable[str]) -> list[str]:
    """The warnings among ``warnings`` (``Evidence.warnings``, or a scan row's) that limit
    what was analysed, in their order and words."""
    return [w for w in warnings if limits_analysis(w)]

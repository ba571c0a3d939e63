"""Words the viewer's panels and the reports share, so the screen and the paper say the same.

No Qt: the reports use it headless, the panels on screen.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def plain(text: object, limit: int = 1000) -> str:
    """``text`` as one printable line: control characters escaped, length capped."""
    s = str(text)
    out = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in s[:limit])
    return out + ("…" if len(s) > limit else "")


def policy_text(policy: Mapping[str, Any]) -> str:
    """How a model saw the evidence, in the words of both the viewer's panel and reports (an
    ensemble's policy names its members)."""
    if "members" in policy:
        return "members " + ", ".join(str(m) for m in policy["members"])
    mode = policy.get("mode")
    if mode == "window" and policy.get("tiling") == "overlap-crop":
        runtime = f", {policy['runtime']}" if policy.get("runtime") else ""
        return (
            f"fast path: tiles {policy.get('tile')} cropped by {policy.get('margin')} "
            f"(trained window {policy.get('window')}{runtime})"
        )
    if mode == "window":
        g = ", Gaussian weighting" if policy.get("gaussian") else ""
        return f"sliding window {policy.get('window')}, stride {policy.get('stride')}{g}"
    if mode == "resize":
        size = policy.get("size") or ()
        return f"whole image resized to fit {' x '.join(map(str, size))}"
    return "—"

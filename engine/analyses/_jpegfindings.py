"""The findings of ``jpeg.py``'s ghost and double-quantisation analyses in words: what an
examiner reads first ("saved before at about quality 70: not a camera original"), beside
their maps. Apart so that ``jpeg.py`` stays under 700 lines."""

from __future__ import annotations

from engine.analyses.base import Finding, Level

WHOLE_IMAGE_SHARE = 0.5  # a ghost's dip share from which it is the whole image's, not a
# region's: a region recompressed from q60 over 11 % of an image gives 0.061, whole images
# 0.75-0.92 (docs/ANALYSES.md); 0.93 on the review's camera photograph saved at 70 then 90


def ghost_finding(q_star: int, stats: dict, last_q: int | None) -> Finding:
    """The ghost at ``q_star`` in words: over how much of the image (its dip share of the
    informative cells, ``jpeg.ghost_maps``) and whether that is the whole image or a region."""
    share = stats["dip_share"][str(q_star)]
    whole = share >= WHOLE_IMAGE_SHARE
    # floored as the rule compares: 0.4998 is a region and read "over 50 %"; 1.0 read "over
    # 100 %". The share holds 4 decimals, so in ten-thousandths it is a whole number
    percent = round(share * 10_000) // 100
    last = "" if last_q is None else f", then at about {last_q}"
    return Finding(
        "jpeg",
        "earlier compression (ghost)",
        f"an earlier save at about quality {q_star} shows in {percent} % of the image's "
        "areas with detail "
        + ("(whole-image recompression)" if whole else "(a region: see the map)"),
        Level.NOTICE,
        f"the file was saved as a JPEG at about {q_star}{last}: a resave, not a camera "
        "original as it left the camera; a region without the ghost (pasted in after the "
        "first save) shows on the map"
        if whole
        else f"part of the image was compressed at about {q_star} before the last save and the "
        "rest was not: a region with another history (pasted or edited), or flat and textured "
        "areas that answer differently; see the map",
    )


def no_ghost_warning(jpeg: bool) -> str:
    """What a ghost that found no earlier quality says: where it looked, and that there is no
    map. The recompressions are on the grid of the image's top-left pixel, a JPEG's own 8x8
    grid; a region saved as a JPEG before on another grid (63 of 64 offsets for a region pasted
    anywhere) shows no ghost there (a q60 region pasted into a q95 photograph, saved at 90:
    found at 60 with AUC 0.99 aligned, nothing 3 and 5 px off the grid, 0.98 when the ghost was
    run on that offset). Trying the 64 offsets (Farid) costs 64 times the time: a limit (docs).
    A map of zeros beside "nothing found" read as a measurement, so there is none, as DQ's."""
    where = "below the last quality, on the file's own" if jpeg else "on the image's"
    return (
        f"no JPEG ghost found {where} 8x8 grid only (from the top-left pixel): a region "
        "compressed on another grid (pasted so that it does not line up with the 8x8 grid) shows "
        "no ghost here; no map"
    )


MIN_DQ_FREQUENCIES = 4  # fewer frequencies that fit a double quantisation make no finding
# and no map. Measured 2026-12-05 on crops of 9 camera photographs: saved at 70, 85 or 80
# and then at 90 or 95, 8-20 of 20 fit (all with a first quality); saved once at 90, or at 95
# then 90 (a first quality finer than the last, which aligned DQ cannot see), 0-2 fit (no first
# quality); two CASIA v1 splices 1 and 2 (first quality 79: no IJG table fits the steps).


# What a detected double compression says of the file's history, with docs/ANALYSES.md's own
# qualifier: it rules out a camera original, not an innocent resave (an editor's, an app's, a
# messenger's), so it is no sign of a forgery by itself. Measured 2026-12-06 (version 7): on
# the 53 camera photographs as they left their cameras DQ detects none.
DQ_NOT_ORIGINAL = (
    "not a camera original as it left the camera (it found none in the 53 camera originals "
    "it was measured on), but many innocent resaves show it too (an editor's, a phone app's "
    "or a messenger's), not only forgeries"
)


def dq_findings(n_used: int, n_tested: int, q1: int | None) -> tuple[Finding, ...]:
    """The double compression in words: detected (a notice: many editors' resaves, not only
    forgeries, show it), a trace too thin to count (information), or nothing (the warning)."""
    first = "first quality not an IJG one" if q1 is None else f"first quality about {q1}"
    rests = f"rests on {n_used} of {n_tested} frequencies"
    if n_used >= MIN_DQ_FREQUENCIES:
        return (
            Finding(
                "jpeg",
                "double compression",
                f"aligned double JPEG compression: {first} ({rests})",
                Level.NOTICE,
                f"saved as a JPEG at least twice on the same 8x8 grid: {DQ_NOT_ORIGINAL}; "
                "blocks without the first compression's trace show on the map",
            ),
        )
    if n_used:
        return (
            Finding(
                "jpeg",
                "double compression",
                f"a trace too thin to count ({rests}; {MIN_DQ_FREQUENCIES} needed)",
                Level.INFO,
                "single-compressed files show as many by chance: not taken as a double "
                "compression, no map",
            ),
        )
    return ()

"""The report's figures show the faces that decided a verdict (a face-manipulation analyst's
walk-through, 2026-12-06, finding 3): the face-map figure drew the first 12 faces by
confidence and left out flagged faces 21, 33 and 57 of a 60-face collage; every face box was
the same green, where the viewer draws a flagged face in red, thicker. And the report's table of
models says the default verdict's reliability once for every file, without one file's number
of faces (finding 2)."""

from __future__ import annotations

import re

import numpy as np

from forensic_viewer.overlays import FLAGGED_FACE_RGB
from forensic_viewer.report.figures import (
    FACE_TILE,
    FACE_TILES,
    FigureStyle,
    evidence_figure,
    face_maps_figure,
    face_tiles,
    face_tiles_words,
)

FLAGGED = {"face": {"score": 0.99, "verdict": "manipulated", "threshold": 0.98}}
NOT_FLAGGED = {"face": {"score": 0.2, "verdict": "authentic", "threshold": 0.98}}
# a whole-image model's flag (a heatmap mean in the box): the face rule does not count it
MEMBER_FLAG = {"w": {"score": 0.9, "verdict": "manipulated", "threshold": 0.5}}


def _crowd(n: int, flagged: set[int]) -> list[dict]:
    """``n`` faces of 20 px in a row of 12, 1-based numbers in ``flagged`` flagged."""
    return [
        {
            "box": [10 + 40 * (i % 12), 10 + 40 * (i // 12), 20, 20],
            "scores": {"w": 0.1},
            "face_scores": {**(FLAGGED if i + 1 in flagged else NOT_FLAGGED), **MEMBER_FLAG},
        }
        for i in range(n)
    ]


def test_the_face_map_figure_draws_the_flagged_faces_first_with_their_table_numbers() -> None:
    faces = _crowd(60, {4, 6, 21, 33, 57})
    order = face_tiles(faces)
    assert len(order) == FACE_TILES
    assert [i + 1 for i in order[:5]] == [4, 6, 21, 33, 57]  # every flagged face drawn
    assert [i + 1 for i in order[5:]] == [1, 2, 3, 5, 7, 8, 9]  # then the others, in order
    assert face_tiles_words(faces) == "12 of 60: the 5 flagged ones first, then 7 others"
    assert face_tiles_words(_crowd(3, set())) == "3 of 3"
    style = FigureStyle(max_side=FACE_TILE * 4)
    fig = face_maps_figure(None, np.zeros((520, 520), np.float32), None, faces, style)
    assert fig is not None
    red = np.all(fig == FLAGGED_FACE_RGB, axis=-1)
    step = FACE_TILE + 4  # three tiles to a row of 1024 px

    def tile_red(row: int, col: int) -> bool:
        return bool(
            red[row * step : row * step + FACE_TILE, col * step : col * step + FACE_TILE].any()
        )

    # row 1: faces 4, 6, 21; row 2: 33, 57, then face 1; row 3: faces 2, 3, 5
    assert [[tile_red(r, c) for c in range(3)] for r in range(3)] == [
        [True, True, True],
        [True, True, False],
        [False, False, False],
    ]


def test_a_flagged_face_is_told_by_shape_and_words_not_hue_alone() -> None:
    """Walk-through cvd (2026-12-06), finding 1: the flagged face's red and the others' green
    merged for a deuteranope (the green became the one that stood out), their numbers had no
    backing and the key named colours and left the flagged box out. Now a face box is dashed
    and a flagged one solid and tagged "N FLAGGED", each number on a dark backing, each box on
    a dark casing, and the key says so in shapes."""
    from forensic_viewer.overlays import CASING_RGB
    from forensic_viewer.report.figures import boxes_words, face_tag
    from forensic_viewer.report.text import LEGEND_TEXT

    assert face_tag(2, True) == "2 FLAGGED" and face_tag(1, False) == "1"
    style = FigureStyle(max_side=600)
    faces = [{"box": [20, 40, 200, 50], **f} for f in ({}, {})]
    faces[1] = {**_crowd(1, {1})[0], "box": [300, 40, 200, 50]}
    fig = evidence_figure(np.full((100, 600, 3), 128, np.uint8), faces, style)
    top_plain = np.all(fig[40, 20:221] == style.face_rgb, axis=-1)
    top_flagged = np.all(fig[40, 300:501] == style.flagged_face_rgb, axis=-1)
    assert 0.4 < top_plain.mean() < 0.9  # dashed
    assert top_flagged.all()  # solid
    assert tuple(fig[38, 100]) == CASING_RGB  # cased (the edge's outside, between two labels)
    backing = np.all(fig[20:38, 20:60] == CASING_RGB, axis=-1)
    assert backing.mean() > 0.3  # face 1's number on its dark backing above the box
    tag = np.all(fig[20:38, 300:420] == CASING_RGB, axis=-1)
    assert tag.sum() > 2 * backing.sum()  # "2 FLAGGED": a wider label than "1"
    assert "FLAGGED" in LEGEND_TEXT and "Dashed boxes" in LEGEND_TEXT
    assert not re.search(r"\b(cyan|green|red)\b", LEGEND_TEXT, re.IGNORECASE)
    assert "tagged FLAGGED" in boxes_words(faces) and "dashed" in boxes_words(faces)


def test_a_flagged_faces_box_is_in_its_colour_and_thicker_in_the_evidence_figure() -> None:
    style = FigureStyle(max_side=600)
    faces = _crowd(2, {2})
    fig = evidence_figure(np.full((100, 600, 3), 128, np.uint8), faces, style)
    red = np.all(fig == FLAGGED_FACE_RGB, axis=-1)
    green = np.all(fig == style.face_rgb, axis=-1)
    assert red[:, 50:80].any() and not red[:, :40].any()  # face 2 (x 50) red, face 1 not
    assert green[:, :40].any() and not green[:, 50:80].any()
    assert red[:, 50:80].sum() > green[:, :40].sum()  # thicker


def test_the_reports_table_of_models_keeps_one_files_faces_to_that_file() -> None:
    from forensic_viewer.report import CaseInfo, ReportOptions
    from forensic_viewer.report.build import overview
    from forensic_viewer.report.model import ModelEntry, ReportItem, ReportSource

    general = "at this threshold: 13 % of authentic camera photographs (4 of 30)"
    own = "on this file, 17 faces judged by f: at its per-face rate ..."
    figures = {"score": 0.2, "verdict": "authentic", "forged_fraction": 0.0, "threshold": 0.5}
    ens = ModelEntry(
        "ens", "ensemble", "ran", figures={**figures, "reliability": f"{general}; {own}"}
    )
    item = ReportItem(
        key="group.jpg", file=None, status="ok", error=None, sha256="ab" * 32,
        evidence={"width": 48, "height": 40}, models=[], ensemble=ens,
        pixels=np.full((40, 48, 3), 128, np.uint8), faces=[], faces_checked=True,
    )  # fmt: skip
    ov = overview(ReportSource.from_items([item]), CaseInfo(), ReportOptions())
    (summary,) = [m for m in ov.models if m.role == "ensemble"]
    assert summary.reliability == general

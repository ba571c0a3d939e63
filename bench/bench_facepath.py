"""Seconds the face path (``engine.facepath``) adds per detected face, with the default models.

For each photograph: the default analysis with the face path off (whole image and detection),
then :meth:`engine.pipeline.Analyzer.analyze_faces` alone on the faces it found, timed; the
figure is that time over the number of faces (every model of the default analysis, one window
each). The first photograph is a warm-up and is not counted (runners are made at first use).
Photographs: ``faces-real`` (a face filling most of the frame) and ``camera-photos`` (12 MP,
faces small or several), from ``FORENSIC_DATA`` (default ``../shared/data``).

Issue 20's target: at most 2 s per face on this CPU.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

from engine.assembly import assemble_analyzer
from engine.io import load_evidence

IMAGES = (".jpg", ".jpeg", ".png")


def _photos(folder: Path, n: int) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGES)[:n]


def run(per_set: int = 8) -> dict:
    data = Path(
        os.environ.get("FORENSIC_DATA", Path(__file__).resolve().parents[2] / "shared/data")
    )
    analyzer = assemble_analyzer(None, device="cpu")
    analyzer.face_path = False
    figures: dict = {"models": analyzer.names}
    for name in ("faces-real", "camera-photos"):
        per_face: list[float] = []
        faces_total = 0
        for i, path in enumerate(_photos(data / name, per_set + 1)):
            evidence = load_evidence(path)
            analysis = analyzer.analyze(evidence)
            if not analysis.faces:
                continue
            t0 = time.perf_counter()
            analyzer.analyze_faces(evidence, analysis.faces)
            seconds = time.perf_counter() - t0
            if i == 0 and name == "faces-real":
                continue  # warm-up
            faces_total += len(analysis.faces)
            per_face.append(seconds / len(analysis.faces))
        if per_face:
            figures[name] = {
                "photos_with_faces": len(per_face),
                "faces": faces_total,
                "seconds_per_face_median": round(statistics.median(per_face), 3),
                "seconds_per_face_max": round(max(per_face), 3),
            }
            print(f"{name}: {figures[name]}")
    return figures


if __name__ == "__main__":
    run()

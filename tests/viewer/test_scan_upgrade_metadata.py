"""A resume that upgrades the metadata analysis refreshes the row's metadata table from the
same bytes (``forensic_viewer.scan.upgrade.refreshed_evidence``): a row written before the
XMP fields became rows of their own kept "N bytes of binary data (not decoded)" and no XMP
row beside the new findings, though the metadata analysis was run again."""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.io import load_evidence
from engine.pipeline import Analyzer
from forensic_viewer.scan.pool_worker import AnalyzerRecipe
from forensic_viewer.scan.records import as_record
from forensic_viewer.scan.run import run_scan
from forensic_viewer.scan.upgrade import Rerun, refreshed_evidence
from tests.viewer.test_scan_pool import _rows
from tests.viewer.test_scan_prefetch import files_of
from tests.viewer.test_scan_upgrade import _older

PACKET = (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
    '<rdf:RDF><rdf:Description xmlns:xap="http://ns.adobe.com/xap/1.0/" '
    "xap:CreatorTool='Adobe Photoshop CS3 Windows'/></rdf:RDF></x:xmpmeta>"
).encode()


def _old_format(row: dict) -> dict:
    """``row`` as the loader before metadata version 13 wrote it: the XMP packet one row of
    "binary data" (it began with a byte-order mark), no XMP rows, no ``metadata_format``."""
    ev = row["evidence"]
    meta = {k: v for k, v in ev["metadata"].items() if not k.startswith("XMP ")}
    meta["info:xmp"] = (
        f"{len(PACKET):,} bytes of binary data (not decoded), SHA-256 "
        + hashlib.sha256(PACKET).hexdigest()
    )
    del ev["metadata_format"]
    return {**row, "evidence": {**ev, "metadata": meta}}


@pytest.fixture
def analyzer(tiny_checkpoint: Path) -> Analyzer:
    return AnalyzerRecipe(models=(str(tiny_checkpoint),), device="cpu", faces=False).build()


def test_an_old_rows_metadata_table_is_read_again_with_the_metadata_analysis(
    tmp_path: Path, analyzer: Analyzer, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "ev"
    folder.mkdir()
    buf = io.BytesIO()
    Image.fromarray(np.full((32, 48, 3), 90, np.uint8)).save(buf, "JPEG", xmp=PACKET)
    (folder / "edited.jpg").write_bytes(buf.getvalue())
    out = tmp_path / "out"
    with monkeypatch.context() as m:
        _older(m, "metadata")
        run_scan(files_of(folder), analyzer, out, source="t", analyses=("metadata",))
    results = out / "results.jsonl"
    old = _old_format(json.loads(results.read_text("utf-8")))
    results.write_text(json.dumps(old) + "\n", "utf-8")  # the fixture: a row of the old format

    summary = run_scan(files_of(folder), analyzer, out, source="t", analyses=("metadata",))
    assert summary.upgraded["metadata"].rerun == 1
    new = _rows(out)["edited.jpg"]
    meta = new["evidence"]["metadata"]
    assert meta["XMP xmp:CreatorTool"] == "Adobe Photoshop CS3 Windows"
    assert "bytes of XMP" in meta["info:xmp"] and "binary data" not in meta["info:xmp"]
    assert new["evidence"]["metadata_format"] == 2
    # what the first load recorded stays: file-system times, hash, size, path...
    kept = {k: v for k, v in new["evidence"].items() if k not in ("metadata", "metadata_format")}
    assert kept == {k: v for k, v in old["evidence"].items() if k != "metadata"}
    assert "fs_times" in kept
    assert {k: v for k, v in new.items() if k not in ("evidence", "analyses")} == {
        k: v for k, v in old.items() if k not in ("evidence", "analyses")
    }
    findings = {f["key"] for f in new["analyses"]["metadata"]["findings"]}
    assert "XMP xmp:CreatorTool" in findings

    # never from other bytes than the row's, and only with the metadata analysis
    row = as_record(old)
    ev = load_evidence(folder / "edited.jpg")
    results_now = {"metadata": object()}
    assert refreshed_evidence(Rerun(row, results_now, ev)) is not None  # type: ignore[arg-type]
    other = replace(ev, sha256="0" * 64)
    assert refreshed_evidence(Rerun(row, results_now, other)) is None  # type: ignore[arg-type]
    assert refreshed_evidence(Rerun(row, {"ela": object()}, ev)) is None  # type: ignore[arg-type]

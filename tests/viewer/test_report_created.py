"""A checkpoint's ``created`` time reads as every other time of a report: ISO 8601 with the
offset's colon (the bundled checkpoints hold ``2026-11-22T03:34:01+0000``, which the report
showed as it was beside times written ``+00:00``)."""

from __future__ import annotations

from datetime import datetime

from engine.catalog import BUNDLED_MODELS
from engine.checkpoints import file_sha256
from engine.formatting import extended_time
from forensic_viewer.report.cards import card_from_checkpoint


def test_the_bundled_checkpoints_created_time_is_shown_in_the_extended_form() -> None:
    path = BUNDLED_MODELS / "crfd-net-compact.safetensors"
    card = card_from_checkpoint(path, file_sha256(path))
    assert card.created == "2026-11-22T03:34:01+00:00"
    assert datetime.fromisoformat(card.created).utcoffset() is not None


def test_only_a_time_written_without_its_offsets_colon_changes() -> None:
    assert extended_time("2026-11-22T03:34:01+0000") == "2026-11-22T03:34:01+00:00"
    assert extended_time("2026-12-05T14:02:09.123-0530") == "2026-12-05T14:02:09.123-05:30"
    assert extended_time("2026-12-05T14:02:09+01:00") == "2026-12-05T14:02:09+01:00"
    assert extended_time("") == "" and extended_time("not a time") == "not a time"

"""What the review of the second-language rewording found missed (review R, 2026-12-06):
"forged fraction 2.61 % ≤ θ 34.23 %" where every other display says "marked area", and no
"not a finding" mark on that rule's line; "decided by the face rule" beside "Face 1 flagged it
too"; "the clone analysis" in the copy-move map's caption and provenance; and a checkpoint
header's strings uncapped on the terminal and the viewer's card."""

from __future__ import annotations

import numpy as np
import pytest

from engine.calibration import reliability_sentence
from engine.formatting import SENTENCE_LIMIT
from engine.types import Analysis
from tests.conftest import memory_evidence

# a crfd-net-compact style row: θ on the marked area, not flagged
UNFLAGGED = {"name": "crfd", "rule": "forged_fraction", "verdict": "authentic", "score": 0.07,
             "probability": 0.3, "forged_fraction": 0.0261, "threshold": 0.3423}  # fmt: skip


# a checkpoint header whose free text a user's file fills: in the reliability sentence
HUGE = reliability_sentence(
    {"reliability": {"flagged": {"authentic camera photographs": [1, 30]}, "split": "X" * 100_000}}
)


def test_header_text_in_the_reliability_is_capped_on_the_terminal(capsys) -> None:
    """The cap was lifted so that the product's own sentence is whole (about 980 characters in
    brief, 1,650 whole, for the bundled ensemble on a file of many faces); the header's strings
    in it are capped all the same."""
    from forensic_viewer.cli_table import print_table, whole_line

    assert len(HUGE) > 100_000 and len(whole_line(HUGE)) == SENTENCE_LIMIT + 1
    ens = {**UNFLAGGED, "name": "ens", "rule": "ensemble", "reliability": HUGE}
    print_table([{"path": "a.jpg", "status": "ok", "checks": [("ens (ensemble)", ens)]}])
    (closing,) = [x for x in capsys.readouterr().out.splitlines() if x.startswith("default")]
    assert closing.endswith("…") and len(closing) < SENTENCE_LIMIT + 100


@pytest.mark.gui
def test_header_text_in_the_reliability_is_capped_on_the_viewers_card(qapp) -> None:
    from forensic_viewer.gui.verdict_panel import VerdictPanel
    from tests.viewer.test_second_language import _result

    panel = VerdictPanel()
    panel.set_analysis(
        Analysis(
            evidence=memory_evidence(np.zeros((40, 60, 3), np.uint8)),
            results={"m": _result("m", "logit", "authentic")},
            ensemble=_result("ens", "ensemble", "authentic", HUGE),
        )
    )
    (line,) = [x for x in panel.cards[0].body.text().splitlines() if "XXXX" in x]
    assert line.endswith("…") and len(line) == SENTENCE_LIMIT + 1

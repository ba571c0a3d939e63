"""A JPEG's chroma subsampling is recognised by its geometry, whatever factors store it."""

from __future__ import annotations

import io

from PIL import Image

from engine.analyses import run_analysis
from engine.analyses._imaging import stored_sampling
from tests.engine.analyses.conftest import natural


def _with_factors(factors: list[tuple[int, int]]) -> bytes:
    """A 4:2:2 JPEG (Pillow) whose frame header is rewritten to ``factors`` (Y, Cb, Cr).

    The header is all the sampling readers open; the scan is left as Pillow wrote it, so the
    file is read for its header only (cameras write such factors, e.g. a Minolta DiMAGE EX's
    luma 2x2 over chroma 1x2; Pillow cannot set factors per component)."""
    buf = io.BytesIO()
    Image.fromarray(natural(64, 64, 1)).save(buf, "JPEG", quality=90, subsampling=1)
    data = bytearray(buf.getvalue())
    sof = data.index(b"\xff\xc0")
    for i, (h, v) in enumerate(factors):  # SOF0: length 2, P 1, Y 2, X 2, Nf 1, then 3 each
        data[sof + 2 + 8 + 3 * i + 1] = (h << 4) | v
    return bytes(data)


def test_reduced_sampling_reads_the_geometry_of_the_factors() -> None:
    from engine.analyses._imaging import reduced_sampling

    def layers(*f: tuple[int, int]) -> list[tuple[int, int, int, int]]:
        return [(i + 1, h, v, min(i, 1)) for i, (h, v) in enumerate(f)]

    assert reduced_sampling(layers((2, 2), (1, 2), (1, 2))) == (2, 1)  # 4:2:2 as a Minolta
    assert reduced_sampling(layers((2, 1), (1, 1), (1, 1))) == (2, 1)
    assert reduced_sampling(layers((2, 2), (1, 1), (1, 1))) == (2, 2)
    assert reduced_sampling(layers((2, 2), (2, 2), (2, 2))) == (1, 1)  # 4:4:4 at 2x2
    assert reduced_sampling(layers((4, 2), (2, 2), (2, 2))) == (2, 1)
    assert reduced_sampling(layers((2, 2), (1, 2), (1, 1))) is None  # Cb and Cr differ
    assert reduced_sampling(layers((3, 2), (2, 2), (2, 2))) is None  # not whole ratios
    assert reduced_sampling(layers((2, 2))) is None


def test_a_422_stored_as_luma_2x2_over_chroma_1x2_is_read_as_422(write_evidence) -> None:
    # Minolta_DiMAGE_EX.jpg stores 4:2:2 so: jpeg-tables said "other" and ELA resaved it at
    # 4:2:0, libjpeg's default (mean error 2.83 grey levels at quality 90, 2.44 at 4:2:2)
    data = _with_factors([(2, 2), (1, 2), (1, 2)])
    assert [layer[1:3] for layer in Image.open(io.BytesIO(data)).layer] == [(2, 2), (1, 2), (1, 2)]
    ev = write_evidence(_with_factors([(2, 1), (1, 1), (1, 1)]), "plain.jpg")
    assert stored_sampling(ev, data) == (2, 1)
    tables = run_analysis("jpeg-tables", write_evidence(data, "minolta_like.jpg"))
    assert tables.extras["subsampling"] == "4:2:2 (stored as sampling factors 2x2, 1x2, 1x2)"
    plain = run_analysis("jpeg-tables", ev)
    assert plain.extras["subsampling"] == "4:2:2"

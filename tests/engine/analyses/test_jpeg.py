"""JPEG history: tables and quality; ghosts and double quantisation localise a region with
another compression history; a single-compressed original gives a flat DQ map."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from PIL import Image

from engine.analyses import run_analysis
from engine.analyses._jpegtables import IJG_CHROMA, IJG_LUMA, ijg_table
from engine.analyses.jpeg import ZIGZAG
from tests.engine.analyses.conftest import decode, jpeg_bytes, natural, png_bytes
from trainer.metrics import roc_auc

H, W = 320, 448


def composite(q1: int, q_region: int | None, q2: int) -> tuple[bytes, np.ndarray]:
    """Background compressed at q1, a region from another photograph (uncompressed, or saved
    at q_region) pasted in, the whole saved at q2: the background is double-compressed."""
    bg = decode(jpeg_bytes(natural(H, W, 1), q1))
    other = natural(H, W, 2)
    if q_region is not None:
        other = decode(jpeg_bytes(other, q_region))
    truth = np.zeros((H, W), bool)
    truth[80:208, 152:312] = True  # on the 8x8 grid, as a pasted region from a crop often is not
    out = bg.copy()
    out[truth] = other[truth]
    return jpeg_bytes(out, q2), truth


def test_ijg_tables_and_zigzag_are_right() -> None:
    assert ijg_table(IJG_LUMA, 50).tolist() == IJG_LUMA.tolist()
    assert ijg_table(IJG_LUMA, 100).max() == 1
    assert ZIGZAG[:6] == [(0, 0), (0, 1), (1, 0), (2, 0), (1, 1), (0, 2)]
    assert len(set(ZIGZAG)) == 64


@pytest.mark.parametrize("quality", [60, 75, 93])
def test_tables_give_the_ijg_quality(quality: int, write_evidence) -> None:
    ev = write_evidence(jpeg_bytes(natural(64, 64, 0), quality))
    r = run_analysis("jpeg-tables", ev)
    assert r.extras["ijg_quality"] == quality and r.extras["ijg_exact"] is True
    assert f"IJG quality {quality}" in r.findings[0].value
    assert len(r.extras["tables"]["0"]) == 64


def with_16_bit_tables(data: bytes, quality: int) -> bytes:
    """``data`` (a JPEG) with every DQT segment rewritten as IJG's 16-bit tables at
    ``quality``, as libjpeg writes them without force_baseline (``cjpeg -quality 10``)."""
    out, i = bytearray(data[:2]), 2
    while True:
        marker, length = data[i + 1], struct.unpack(">H", data[i + 2 : i + 4])[0]
        segment = data[i : i + 2 + length]
        if marker == 0xDB:  # Pq/Tq then 64 entries of 1 (Pq 0) or 2 (Pq 1) bytes, zig-zag
            body, j = b"", 4
            while j < len(segment):
                precision, tq = segment[j] >> 4, segment[j] & 15
                j += 1 + 64 * (2 if precision else 1)
                scale = 5000 // quality if quality < 50 else 200 - 2 * quality  # jcparam.c
                base = IJG_LUMA if tq == 0 else IJG_CHROMA
                t = np.clip((base * scale + 50) // 100, 1, 32767)  # not clamped to 255
                body += bytes([0x10 | tq]) + b"".join(struct.pack(">H", t[rc]) for rc in ZIGZAG)
            segment = b"\xff\xdb" + struct.pack(">H", len(body) + 2) + body
        out += segment
        i += 2 + length
        if marker == 0xDA:  # start of scan: the entropy-coded data follows
            return bytes(out + data[i:])


@pytest.mark.parametrize("quality", [5, 20])
def test_tables_give_the_ijg_quality_of_16_bit_tables(quality: int, write_evidence) -> None:
    # Below quality 25 IJG's tables hold entries over 255: libjpeg clamps them to 255 for a
    # baseline file, or keeps them in 16-bit tables. Only the clamped ones were compared, so a
    # 16-bit file was "not the IJG tables" (quality 5: mean |Δ| 361 per entry).
    data = with_16_bit_tables(jpeg_bytes(natural(64, 64, 0), quality), quality)
    r = run_analysis("jpeg-tables", write_evidence(data))
    assert max(r.extras["tables"]["0"]) > 255  # the file does hold 16-bit tables
    assert r.extras["ijg_quality"] == quality and r.extras["ijg_exact"] is True
    assert r.extras["ijg_baseline"] is False
    assert f"IJG quality {quality}, 16-bit tables" in r.findings[0].value


def test_a_third_table_that_is_not_ijg_is_not_called_ijg(write_evidence) -> None:
    # Luma and Cb with IJG's quality-90 tables, Cr with a table of its own (table 2): only
    # tables 0 and 1 were compared, and the file was "libjpeg/IJG quality 90 (many programs)".
    luma, chroma = ijg_table(IJG_LUMA, 90), ijg_table(IJG_CHROMA, 90)
    tables = [luma.ravel().tolist(), chroma.ravel().tolist(), (chroma * 3).ravel().tolist()]
    buf = io.BytesIO()
    Image.fromarray(natural(64, 64, 0)).save(buf, "JPEG", qtables=tables)
    r = run_analysis("jpeg-tables", write_evidence(buf.getvalue()))
    assert sorted(r.extras["tables"]) == ["0", "1", "2"]
    assert r.extras["ijg_exact"] is False and r.extras["ijg_quality"] == 90
    assert "not the IJG tables" in r.findings[0].value


def test_tables_of_a_png_are_absent(write_evidence) -> None:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(natural(32, 32, 0)).save(buf, "PNG")
    r = run_analysis("jpeg-tables", write_evidence(buf.getvalue(), "x.png"))
    assert r.extras["jpeg"] is False and r.warnings


@pytest.mark.parametrize(("q1", "q_region", "q2"), [(60, None, 90), (70, 85, 95)])
def test_ghost_and_dq_localise_the_region(q1, q_region, q2, write_evidence) -> None:
    data, truth = composite(q1, q_region, q2)
    ev = write_evidence(data)
    ghost = run_analysis("jpeg-ghost", ev)
    assert ghost.extras["ghost_quality"] == q1
    dq = run_analysis("jpeg-dq", ev)
    assert dq.extras["detected"] is True
    assert dq.extras["first_quality_estimate"] in range(q1 - 2, q1 + 3)
    for r in (ghost, dq):
        m = r.map
        assert roc_auc(truth, m) >= 0.8, r.analysis
        assert m[truth].mean() > m[~truth].mean() + 0.4, r.analysis
    assert len(ghost.layers) == 10 and ghost.layers[0].cell == 8


@pytest.mark.parametrize("quality", [75, 90])
def test_dq_of_a_single_compressed_original_has_no_map_and_says_so(
    quality: int, write_evidence
) -> None:
    # Version 4 drew a map of 0 everywhere, whose label ("probability that the block was
    # compressed once") read as "every block compressed twice", and said nothing
    ev = write_evidence(jpeg_bytes(natural(H, W, 1), quality))
    r = run_analysis("jpeg-dq", ev)
    assert r.extras["detected"] is False
    assert r.map is None and r.meaning is None and not r.findings
    assert r.warnings[0].startswith("no aligned double compression found")


@pytest.mark.parametrize("quality", [85, 90, 95])
def test_ghost_names_no_earlier_quality_for_a_jpeg_compressed_once(
    quality: int, write_evidence
) -> None:
    # Dips scattered over single cells at 55-65 are the difference curves' noise: they gave
    # a "ghost at quality 55/65" and a contrast map to this scene at every quality (and to 32
    # of the 53 camera photographs), an earlier compression that never happened.
    ev = write_evidence(jpeg_bytes(natural(H, W, 1), quality))
    r = run_analysis("jpeg-ghost", ev)
    assert r.extras["ghost_quality"] is None
    # no map of zeros, whose "p99 0.00 raw" read as a measurement (as DQ's); the layers stay
    assert r.map is None and r.meaning is None and len(r.layers) == 10
    (warning,) = r.warnings
    assert warning.startswith("no JPEG ghost found below the last quality, on the file's own")
    assert "8x8 grid only" in warning and "does not line up with the 8x8 grid" in warning
    # the words are in every row: "pasted off it" (an idiom) was version 9's
    assert "off it" not in warning and int(r.provenance.version) >= 10


def test_the_ghost_s_no_ghost_warning_names_the_one_grid_it_tried(write_evidence) -> None:
    # A region compressed at 60 pasted 3 and 5 px off the 8x8 grid of a q95 image, saved at
    # 90: the ghost (on the file's grid) finds nothing; its warning said only "no JPEG ghost
    # found below the last quality", as if no earlier save were there
    scene = natural(H, W, 2)
    img = decode(jpeg_bytes(scene, 95)).copy()
    region = np.s_[67:195, 101:229]  # not on the grid
    shifted = decode(jpeg_bytes(scene[3:, 5:], 60))
    img[region] = shifted[64:192, 96:224]
    r = run_analysis("jpeg-ghost", write_evidence(jpeg_bytes(img, 90)))
    assert r.extras["ghost_quality"] is None and r.map is None
    assert "8x8 grid only" in r.warnings[0]
    png = run_analysis("jpeg-ghost", write_evidence(png_bytes(natural(H, W, 1)), "x.png"))
    assert png.map is None and png.warnings[0].startswith("no JPEG ghost found on the image's")


def test_cmyk_and_greyscale_jpegs_are_described_and_not_read_as_luminance(write_evidence) -> None:
    # A CMYK JPEG holds no luminance channel: ghost and DQ analysed the luminance of its RGB
    # conversion as if that had been compressed with the file's tables; its sampling and a
    # greyscale JPEG's were reported as "other".
    from PIL import Image

    rgb = natural(H, W, 1)
    for mode, sampling in (("CMYK", "four components"), ("L", "none (one component")):
        buf = io.BytesIO()
        Image.fromarray(rgb).convert(mode).save(buf, "JPEG", quality=85)
        ev = write_evidence(buf.getvalue(), f"{mode}.jpg")
        tables = run_analysis("jpeg-tables", ev)
        assert tables.extras["subsampling"].startswith(sampling)
        assert tables.extras["ijg_quality"] == 85 and tables.extras["ijg_exact"] is True
        for name in ("jpeg-ghost", "jpeg-dq"):
            r = run_analysis(name, ev)
            if mode == "CMYK":
                assert r.map is None and "not applicable" in r.warnings[0], name
            else:  # compressed once: neither finds an earlier save, neither draws a map
                assert r.map is None, name
                if name == "jpeg-ghost":  # its differences at each quality, read as grey
                    assert len(r.layers) == 10 and r.layers[0].values.shape == (H // 8, W // 8)


def with_luma_in_table_1(data: bytes) -> bytes:
    """``data`` (a colour JPEG, luma in table 0, chroma in table 1) with the two tables'
    numbers swapped in its DQT segments and every component's selector swapped in its frame
    header: the same pixels, luma quantised by table 1 (T.81 allows any assignment)."""
    swap = {0: 1, 1: 0}
    out, i = bytearray(data[:2]), 2
    while True:
        marker, length = data[i + 1], struct.unpack(">H", data[i + 2 : i + 4])[0]
        segment = bytearray(data[i : i + 2 + length])
        if marker == 0xDB:  # Pq/Tq then 64 entries of 1 (Pq 0) or 2 (Pq 1) bytes
            j = 4
            while j < len(segment):
                precision, tq = segment[j] >> 4, segment[j] & 15
                segment[j] = (precision << 4) | swap.get(tq, tq)
                j += 1 + 64 * (2 if precision else 1)
        if marker == 0xC0:  # P, Y, X, Nf, then per component: id, sampling, table selector
            for c in range(segment[9]):
                tq = segment[10 + 3 * c + 2]
                segment[10 + 3 * c + 2] = swap.get(tq, tq)
        out += segment
        i += 2 + length
        if marker == 0xDA:  # start of scan: the entropy-coded data follows
            return bytes(out + data[i:])


def test_the_luma_table_is_the_one_the_luma_component_names(write_evidence) -> None:
    # Table 0 was taken for luma by habit: a file whose Y uses table 1 was compared with IJG's
    # luma table through its chroma table ("not the IJG tables"), and DQ quantised Y's DCT
    # with the chroma steps. The same pixels with the tables numbered the other way round
    # must read the same.
    data, _ = composite(60, None, 90)
    swapped = with_luma_in_table_1(data)
    img = Image.open(io.BytesIO(swapped))
    assert [layer[3] for layer in img.layer] == [1, 0, 0]  # Y names table 1
    assert img.quantization[1] == Image.open(io.BytesIO(data)).quantization[0]
    np.testing.assert_array_equal(decode(swapped), decode(data))
    plain, turned = write_evidence(data, "plain.jpg"), write_evidence(swapped, "swapped.jpg")
    r = run_analysis("jpeg-tables", turned)
    assert r.extras["luma_table"] == 1
    assert r.extras["ijg_quality"] == 90 and r.extras["ijg_exact"] is True
    a, b = run_analysis("jpeg-dq", plain), run_analysis("jpeg-dq", turned)
    assert a.extras["detected"] is True
    assert (
        b.extras["fits"] == a.extras["fits"]
        and b.extras["last_quality"] == a.extras["last_quality"]
    )
    np.testing.assert_array_equal(b.map, a.map)
    ghost = run_analysis("jpeg-ghost", turned).extras
    assert ghost == run_analysis("jpeg-ghost", plain).extras


def rgb_coded(
    rgb: np.ndarray,
    quality: int,
    jfif: bool = False,
    selectors: tuple[int, int, int] = (0, 0, 0),
    subsampling: int = 0,
) -> bytes:
    """``rgb`` as an RGB-coded JPEG, as ``cjpeg -rgb`` (libjpeg's JCS_RGB) writes one: an Adobe
    APP14 marker with transform 0, components 'R', 'G', 'B' at full resolution, each quantised
    by table 0, IJG's luma table at ``quality`` (``selectors``: each component's table instead,
    every one IJG's luma table; ``subsampling`` as Pillow's, G and B subsampled). Pillow writes the planes unconverted when handed them as
    YCbCr; its JFIF marker is dropped (kept with ``jfif``: it outranks APP14)."""
    buf = io.BytesIO()
    table = ijg_table(IJG_LUMA, quality).ravel().tolist()
    Image.frombytes("YCbCr", rgb.shape[1::-1], rgb.tobytes()).save(
        buf, "JPEG", qtables=[table] * 3, subsampling=subsampling
    )
    data = buf.getvalue()
    adobe = b"Adobe" + struct.pack(">HHHB", 100, 0, 0, 0)
    out, i = bytearray(data[:2] + b"\xff\xee" + struct.pack(">H", len(adobe) + 2) + adobe), 2
    while True:
        marker, length = data[i + 1], struct.unpack(">H", data[i + 2 : i + 4])[0]
        segment = bytearray(data[i : i + 2 + length])
        if marker == 0xC0:  # per component: id, sampling, table selector
            for c, name in enumerate(b"RGB"):
                segment[10 + 3 * c], segment[10 + 3 * c + 2] = name, selectors[c]
        if marker == 0xDA:  # the scan names its components by id too: id, Huffman tables
            for c, name in enumerate(b"RGB"):
                segment[5 + 2 * c] = name
        if marker == 0xDB:  # only the tables the components name kept, as cjpeg writes
            kept, j = b"", 4
            while j < len(segment):
                size = 1 + 64 * (2 if segment[j] >> 4 else 1)
                kept += segment[j : j + size] if segment[j] & 15 in selectors else b""
                j += size
            segment = bytearray(b"\xff\xdb" + struct.pack(">H", len(kept) + 2) + kept)
        if (marker != 0xE0 or jfif) and len(segment) > 4:
            out += segment
        i += 2 + length
        if marker == 0xDA:
            return bytes(out + data[i:])


def test_an_rgb_coded_jpeg_is_analysed_on_its_green_component(write_evidence) -> None:
    # An RGB-coded JPEG (Adobe APP14 transform 0) holds no luminance: its R, G and B were each
    # quantised as they are. Ghost and DQ asked the decoder for its Y and failed on it ("broken
    # data stream"); they read its green component now, with that component's table.
    bg = decode(rgb_coded(natural(H, W, 1), 60))  # compressed at 60 first ...
    truth = np.zeros((H, W), bool)
    truth[80:208, 152:312] = True
    composite = bg.copy()
    composite[truth] = natural(H, W, 2)[truth]  # ... but for a region pasted in
    data = rgb_coded(composite, 90)
    assert np.abs(decode(data).astype(int) - composite).mean() < 2  # decoded as RGB
    ev = write_evidence(data, "rgb.jpg")
    ghost = run_analysis("jpeg-ghost", ev)
    assert ghost.extras["plane"].startswith("green component")
    assert ghost.extras["ghost_quality"] == 60 and ghost.extras["last_quality"] == 90
    assert ghost.extras["last_quality_exact"] is True
    assert "green component" in ghost.meaning.label
    assert roc_auc(truth, ghost.map) >= 0.8
    dq = run_analysis("jpeg-dq", ev)
    assert dq.extras["detected"] is True and dq.extras["first_quality_estimate"] == 60
    assert roc_auc(truth, dq.map) >= 0.8
    # A YCbCr JPEG still reads its Y.
    plain = run_analysis("jpeg-dq", write_evidence(jpeg_bytes(composite, 90), "ycc.jpg"))
    assert plain.extras["plane"] == "luminance (Y)"


def test_the_colour_space_of_a_jpeg_follows_libjpegs_rules() -> None:
    # libjpeg decodes three components as RGB when an Adobe APP14 marker says transform 0 and
    # no JFIF marker (which implies YCbCr) is there, or when neither is and they are named R, G,
    # B; asked for YCbCr from such a file it fails, and from the JFIF one it does not.
    from engine.analyses._imaging import jpeg_colour_space

    rgb = natural(64, 64, 0)
    img = Image.open(io.BytesIO(rgb_coded(rgb, 90)))
    assert img.info["adobe_transform"] == 0 and jpeg_colour_space(img) == "RGB"
    img.draft("YCbCr", img.size)
    with pytest.raises(OSError):
        img.load()
    with_jfif = Image.open(io.BytesIO(rgb_coded(rgb, 90, jfif=True)))
    assert "jfif" in with_jfif.info and jpeg_colour_space(with_jfif) == "YCbCr"
    with_jfif.draft("YCbCr", with_jfif.size)
    assert with_jfif.load() is not None and with_jfif.mode == "YCbCr"
    assert jpeg_colour_space(Image.open(io.BytesIO(jpeg_bytes(rgb, 90)))) == "YCbCr"
    for mode, space in (("L", "grey"), ("CMYK", "CMYK")):
        buf = io.BytesIO()
        Image.fromarray(rgb).convert(mode).save(buf, "JPEG", quality=90)
        assert jpeg_colour_space(Image.open(buf)) == space


def test_the_ghost_keeps_a_textured_region_compressed_before_and_leaves_flat_ones_out(
    write_evidence,
) -> None:
    # A location counted as flat (no ghost) when its largest recompression difference was under
    # 1 grey level²: a low-contrast textured region compressed at 60 before has little left for
    # recompression to change (that is its ghost), so most of it was blanked (84 % here: no
    # ghost quality named, a map of 0). The content's own variance now says what is flat too:
    # a mid-grey patch (its DC exact at every quality, nothing to quantise) stays out.
    scene = natural(H, W, 1).astype(np.float32)
    base = np.clip(128 + 0.2 * (scene - 128), 0, 255).astype(np.uint8)  # a low-contrast scene
    truth = np.zeros((H, W), bool)
    truth[80:208, 152:312] = True
    out = base.copy()
    out[truth] = decode(jpeg_bytes(base, 60))[truth]
    out[224:296, 24:120] = 128  # flat
    r = run_analysis("jpeg-ghost", write_evidence(jpeg_bytes(out, 90)))
    assert r.extras["ghost_quality"] == 60
    assert roc_auc(truth, r.map) >= 0.75
    assert r.map[232:288, 32:112].max() == 0.0  # the flat patch: no contrast ...
    layer = next(m for m in r.layers if m.name == "ghost-q60")
    assert layer.values[29:36, 4:14].max() == 0.0  # ... and no curve in any layer


@pytest.mark.parametrize("selectors", [(0, 0, 0), (0, 1, 2), (1, 0, 1)])
def test_an_rgb_coded_jpegs_tables_are_compared_with_the_luma_table(
    selectors: tuple[int, int, int], write_evidence
) -> None:
    # libjpeg's JCS_RGB (cjpeg -rgb) quantises R, G and B by its luminance table. Every table
    # other than R's was compared with IJG's chroma table: a file whose components name tables
    # of their own, each IJG's luma table at 75, was "not the IJG tables" (closest quality
    # 80); and the words said "4:4:4", as for a YCbCr file.
    data = rgb_coded(natural(64, 64, 0), 75, selectors=selectors)
    img = Image.open(io.BytesIO(data))
    assert [layer[3] for layer in img.layer] == list(selectors)
    assert sorted(img.quantization) == sorted(set(selectors))
    r = run_analysis("jpeg-tables", write_evidence(data, "rgb.jpg"))
    assert r.extras["ijg_quality"] == 75 and r.extras["ijg_exact"] is True
    assert "IJG quality 75" in r.extras["described"] and "R, G and B" in r.extras["described"]
    assert r.extras["subsampling"].startswith("RGB-coded (no YCbCr transform)")
    assert r.extras["colour_coding"] == "RGB-coded (no YCbCr transform)"
    rows = {f.key: f.value for f in r.findings}
    assert "RGB-coded (no YCbCr transform)" in rows["chroma subsampling"]


def test_an_rgb_coded_jpeg_with_chroma_tables_is_not_what_libjpeg_writes(write_evidence) -> None:
    # R by IJG's luma table, G and B by its chroma table (a YCbCr file's assignment, on RGB
    # data): libjpeg never writes this for RGB, so it is not "IJG quality N"; the closest is
    # still named. The same planes as YCbCr with those tables are IJG's, exactly.
    rgb = natural(64, 64, 0)
    luma, chroma = (ijg_table(base, 75).ravel().tolist() for base in (IJG_LUMA, IJG_CHROMA))
    buf = io.BytesIO()
    Image.frombytes("YCbCr", (64, 64), rgb.tobytes()).save(
        buf, "JPEG", qtables=[luma, chroma], subsampling=0
    )
    ycc = run_analysis("jpeg-tables", write_evidence(buf.getvalue(), "ycc.jpg"))
    assert ycc.extras["ijg_exact"] is True and ycc.extras["colour_coding"] == "YCbCr"
    assert ycc.extras["subsampling"] == "4:4:4"
    data = buf.getvalue()
    adobe = b"Adobe" + struct.pack(">HHHB", 100, 0, 0, 0)
    rgb_data = data[:2] + b"\xff\xee" + struct.pack(">H", len(adobe) + 2) + adobe + data[2:]
    rgb_data = rgb_data.replace(b"\xff\xe0\x00\x10JFIF", b"\xff\xe1\x00\x10JFIX")  # no JFIF
    img = Image.open(io.BytesIO(rgb_data))
    assert "jfif" not in img.info and img.info["adobe_transform"] == 0
    r = run_analysis("jpeg-tables", write_evidence(rgb_data, "rgb.jpg"))
    assert r.extras["ijg_exact"] is False and r.extras["colour_coding"].startswith("RGB-coded")
    assert r.extras["described"].startswith("not the IJG tables")


def test_ghost_and_dq_take_an_rgb_coded_jpegs_quality_as_the_tables_do(write_evidence) -> None:
    # The ghost's "file's own quality" (its scan stops below it) and DQ's last quality came
    # from G's table as luma and the others against IJG's chroma table: on a file whose
    # components name a table each (all IJG's luma at 90) they read 92, not exact, where
    # jpeg-tables reads 90 exactly.
    ev = write_evidence(rgb_coded(natural(H, W, 1), 90, selectors=(0, 1, 2)), "rgb.jpg")
    tables = run_analysis("jpeg-tables", ev).extras
    assert tables["ijg_quality"] == 90 and tables["ijg_exact"] is True
    ghost = run_analysis("jpeg-ghost", ev).extras
    assert ghost["last_quality"] == 90 and ghost["last_quality_exact"] is True
    assert run_analysis("jpeg-dq", ev).extras["last_quality"] == tables["described"]


def test_the_tables_note_never_calls_the_tables_an_editors(write_evidence) -> None:
    """The note under every file's tables read "an editor's tables on a file that claims to
    come straight from a camera deserve a look", an authentic Leica T photograph's IJG
    quality-99 tables among them; nothing here knows an editor's tables from a camera's."""
    from engine.analyses._jpegtables import IJG_TABLES_NOTE, OWN_TABLES_NOTE

    ijg = run_analysis("jpeg-tables", write_evidence(jpeg_bytes(natural(64, 64, 0), 99)))
    assert ijg.extras["ijg_exact"] is True
    assert ijg.findings[0].note == IJG_TABLES_NOTE and "cameras" in IJG_TABLES_NOTE
    luma, chroma = ijg_table(IJG_LUMA, 90), ijg_table(IJG_CHROMA, 90)
    buf = io.BytesIO()
    own = [(luma + 1).ravel().tolist(), chroma.ravel().tolist()]
    Image.fromarray(natural(64, 64, 0)).save(buf, "JPEG", qtables=own)
    other = run_analysis("jpeg-tables", write_evidence(buf.getvalue()))
    assert other.extras["ijg_exact"] is False and other.findings[0].note == OWN_TABLES_NOTE
    for r in (ijg, other):
        assert "editor's" not in r.findings[0].note and "deserve a look" not in r.findings[0].note
    # the note is in every row: "point to neither" (an idiom) was version 6's
    assert "point to neither" not in IJG_TABLES_NOTE and int(ijg.provenance.version) >= 7

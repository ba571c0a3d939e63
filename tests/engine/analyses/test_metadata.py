"""Metadata findings: editing software and a foreign thumbnail are flagged; a matching
thumbnail is not; hostile values stay escaped and capped."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from engine.analyses import Level, run_analysis
from engine.analyses._imaging import compare_thumbnail, trim_bars
from engine.metatext import VALUE_CAP, clean
from tests.engine.analyses.conftest import jpeg_bytes, make_exif, natural


def _photo(exif: bytes) -> bytes:
    return jpeg_bytes(natural(240, 320, 1), 90, exif=exif)


def test_editor_and_foreign_thumbnail_are_flagged(write_evidence) -> None:
    other = jpeg_bytes(natural(120, 160, 9), 80)  # another scene
    exif = make_exif(
        {
            0x010F: "Canon",
            0x0110: "EOS",
            0x0131: "Adobe Photoshop CS6 (Windows)",
            0x0132: "2021:05:02 12:00:00",
        },
        {0x9003: "2021:05:01 09:30:00"},
        thumbnail=other,
    )
    r = run_analysis("metadata", write_evidence(_photo(exif)))
    by_topic = {(f.topic, f.level) for f in r.findings}
    assert ("thumbnail", Level.STRONG) in by_topic
    assert ("software", Level.NOTICE) in by_topic
    assert ("dates", Level.NOTICE) in by_topic
    assert r.findings[0].level == Level.STRONG  # strongest first
    assert r.extras["thumbnail_correlation"] < 0.5
    assert r.map is not None and r.map.shape == (240, 320)


def test_matching_thumbnail_and_camera_software_are_information(write_evidence) -> None:
    scene = natural(240, 320, 1)
    import cv2

    thumb = jpeg_bytes(cv2.resize(scene, (160, 120), interpolation=cv2.INTER_AREA), 75)
    exif = make_exif(
        {
            0x010F: "Canon",
            0x0110: "EOS",
            0x0131: "Firmware Version 1.0.2",
            0x0132: "2021:05:01 09:30:00",
        },
        {0x9003: "2021:05:01 09:30:00"},
        thumbnail=thumb,
    )
    r = run_analysis("metadata", write_evidence(jpeg_bytes(scene, 92, exif=exif)))
    assert all(f.level == Level.INFO for f in r.findings), r.findings
    assert r.extras["thumbnail_correlation"] > 0.9


def test_letterboxed_thumbnail_matches(write_evidence) -> None:
    import cv2
    import numpy as np

    scene = natural(180, 320, 4)  # 16:9 in a 4:3 thumbnail with black bars
    thumb = np.zeros((120, 160, 3), np.uint8)
    thumb[15:105] = cv2.resize(scene, (160, 90), interpolation=cv2.INTER_AREA)
    exif = make_exif({0x010F: "Cam", 0x0110: "One"}, thumbnail=jpeg_bytes(thumb, 85))
    r = run_analysis("metadata", write_evidence(jpeg_bytes(scene, 92, exif=exif)))
    assert r.extras["thumbnail_correlation"] > 0.9


def test_missing_exif_is_a_notice(write_evidence) -> None:
    r = run_analysis("metadata", write_evidence(jpeg_bytes(natural(64, 64, 0), 90)))
    assert [(f.topic, f.level) for f in r.findings] == [("camera", Level.NOTICE)]


def test_missing_exif_in_a_format_no_camera_writes_is_information(write_evidence) -> None:
    """A PNG comes from software whatever its metadata: its missing EXIF is no sign of an edit
    beyond the format itself, and was a notice ("stripped, or re-encoded") as in a JPEG."""
    import cv2

    ok, png = cv2.imencode(".png", natural(64, 64, 0))
    assert ok
    r = run_analysis("metadata", write_evidence(png.tobytes(), "evidence.png"))
    camera = [f for f in r.findings if f.topic == "camera"]
    assert [(f.key, f.level) for f in camera] == [("EXIF", Level.INFO)]
    assert "usual for PNG" in camera[0].note and "stripped" not in camera[0].note


def test_a_tiff_without_exif_has_no_exif(write_evidence) -> None:
    """Pillow gives a TIFF's image directory (width, strips...) as its EXIF, so a TIFF saved
    without any EXIF was "EXIF without a camera" and recorded exif: true."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(natural(32, 48, 0)).save(buf, "TIFF")
    r = run_analysis("metadata", write_evidence(buf.getvalue(), "evidence.tif"))
    camera = [f for f in r.findings if f.topic == "camera"]
    assert [(f.key, f.value, f.level) for f in camera] == [("EXIF", "absent", Level.NOTICE)]
    assert r.extras["exif"] is False
    buf = io.BytesIO()  # the same TIFF with a camera's EXIF names it
    Image.fromarray(natural(32, 48, 0)).save(
        buf, "TIFF", exif=make_exif({0x010F: "Cam", 0x0110: "One"})
    )
    r = run_analysis("metadata", write_evidence(buf.getvalue(), "camera.tif"))
    assert [(f.key, f.value) for f in r.findings if f.topic == "camera"] == [
        ("Make/Model", "Cam One")
    ]


def test_hostile_values_are_escaped_and_capped(write_evidence) -> None:
    evil = "Photoshop\x1b[31m\u202eevil\x07" + "A" * 50_000
    exif = make_exif({0x010F: "Cam\x00era", 0x0110: "M", 0x0131: evil})
    r = run_analysis("metadata", write_evidence(_photo(exif)))
    soft = next(f for f in r.findings if f.key == "EXIF Software")
    assert "\x1b" not in soft.value and "\u202e" not in soft.value and "\x07" not in soft.value
    assert "\\u001b" in soft.value and "\\u202e" in soft.value
    assert len(soft.value) < VALUE_CAP + 60 and "cut" in soft.value
    assert soft.level == Level.NOTICE  # still recognised as an editor
    json.dumps(r.to_dict(), allow_nan=False)


def test_clean_keeps_ordinary_text() -> None:
    assert clean("Canon EOS 5D") == "Canon EOS 5D"
    assert clean(b"caf\xc3\xa9 \xff") == "café \ufffd"
    assert clean("a\nb") == "a b"


def _thumbnail_case(case: str) -> tuple[np.ndarray, np.ndarray]:
    """A 16:9 scene and its 4:3 thumbnail (160 x 120) as cameras make them, or of other
    content."""
    scene = natural(180, 320, 4)
    if case == "letterbox":  # the whole picture, black bars above and below
        thumb = np.zeros((120, 160, 3), np.uint8)
        thumb[15:105] = cv2.resize(scene, (160, 90), interpolation=cv2.INTER_AREA)
    elif case == "crop":  # the picture's centre, cropped to 4:3
        thumb = cv2.resize(scene[:, 40:280], (160, 120), interpolation=cv2.INTER_AREA)
    elif case == "stretch":  # the whole picture squeezed to 4:3
        thumb = cv2.resize(scene, (160, 120), interpolation=cv2.INTER_AREA)
    else:  # another picture
        thumb = cv2.resize(natural(180, 240, 7), (160, 120), interpolation=cv2.INTER_AREA)
    return scene, thumb


@pytest.mark.parametrize(
    ("case", "fit", "letterbox", "level"),
    [
        ("letterbox", "same aspect", True, Level.INFO),
        ("crop", "centre crop", False, Level.INFO),
        ("stretch", "stretched", False, Level.INFO),
        ("other", None, None, Level.STRONG),
    ],
)
def test_a_thumbnail_of_another_aspect_is_compared_by_the_fit_that_agrees(
    case: str, fit: str | None, letterbox: bool | None, level: Level, write_evidence
) -> None:
    # A 4:3 thumbnail of a 16:9 picture: letterboxed, its centre cropped, or squeezed. The
    # image was only ever stretched to the thumbnail (bars cut when that agreed better): a
    # cropped thumbnail read correlation 0.47, "other content" (strong). Now the best of the
    # whole image, its centre cropped to the thumbnail's aspect and the stretch, named in the
    # row; a thumbnail of other content agrees with none and stays strong.
    scene, thumb = _thumbnail_case(case)
    exif = make_exif({0x010F: "Cam", 0x0110: "One"}, thumbnail=jpeg_bytes(thumb, 85))
    r = run_analysis("metadata", write_evidence(jpeg_bytes(scene, 92, exif=exif)))
    (row,) = [f for f in r.findings if f.topic == "thumbnail"]
    assert row.level == level, row
    if fit is None:
        assert r.extras["thumbnail_correlation"] < 0.5
        return
    assert r.extras["thumbnail_correlation"] > 0.95
    assert (r.extras["thumbnail_fit"], r.extras["thumbnail_letterbox"]) == (fit, letterbox)
    words = {
        "same aspect": "the whole image",
        "centre crop": "centre cropped",
        "stretched": "stretched",
    }
    assert words[fit] in row.value and ("letterbox" in row.value) == letterbox
    assert r.map is not None and r.map.shape == (180, 320)
    if fit == "centre crop":  # compared over the image's centre; its sides, not shown, are 0
        assert r.extras["thumbnail_image_box"] == [40, 0, 280, 180]
        assert r.map[:, :40].max() == 0.0 and r.map[:, 280:].max() == 0.0
    assert r.map.max() < 0.3


@pytest.mark.parametrize("shape", [(1, 1), (2, 2), (1, 5), (2, 7), (6, 2)])
@pytest.mark.parametrize("fill", ["black", "a dark first row"])
def test_a_thumbnail_under_3_pixels_a_side_is_compared_whole(
    shape: tuple[int, int], fill: str
) -> None:
    """The metadata analysis skips thumbnails under 8 pixels; the comparison itself takes any
    size: a side under 3 pixels has no bars cut (an all-black one was cut to nothing and
    OpenCV's blur failed on it; a dark row of two was cut as a bar), so the whole thumbnail
    is compared."""
    h, w = shape
    thumb = np.full((h, w, 3), 200, np.uint8)
    thumb[: h if fill == "black" else 1] = 0
    rows, cols = trim_bars(thumb)
    # a side of 3 or more keeps its rule: its dark border is cut when light rows remain
    assert rows == (slice(1, h) if h >= 3 and fill != "black" else slice(0, h))
    assert cols == slice(0, w)
    fit = compare_thumbnail(natural(60, 80, 2), thumb)
    assert fit.content in {(w, h), (w, rows.stop - rows.start)}  # the fit that agrees best
    assert fit.letterbox == (fit.content != (w, h))
    assert fit.difference.shape == fit.content[::-1] and np.isfinite(fit.difference).all()
    assert np.isfinite(fit.correlation)


def test_an_empty_thumbnail_is_refused_in_one_line() -> None:
    with pytest.raises(ValueError, match=r"^no pixels to compare: image 80 x 60, thumbnail 5 x 0$"):
        compare_thumbnail(natural(60, 80, 2), np.zeros((0, 5, 3), np.uint8))


def _png_with_xmp(xmp: str) -> bytes:
    import io

    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", xmp)
    buf = io.BytesIO()
    Image.fromarray(natural(64, 80, 3)).save(buf, "PNG", pnginfo=info)
    return buf.getvalue()


def test_xmp_values_are_shown_with_their_xml_references_decoded_once(write_evidence) -> None:
    """An XMP value is XML text: ``&lt;img&gt;`` is the text ``<img>``, which the findings
    showed as written (``&lt;img&gt;``) and a report then escaped again (``&amp;lt;``). The
    five entities XML defines and character references are decoded once; any other entity,
    one a DOCTYPE declares included, is neither expanded nor fetched; a control character a
    reference makes is escaped as any value's."""
    xmp = (
        '<?xpacket begin=""?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description '
        'xmp:CreatorTool="&lt;img&gt; Adobe Photoshop &amp;lt; &#233;&#x41; &xxe; &#0; &#27;">'
        "<xmpMM:History><rdf:Seq><rdf:li rdf:parseType='Resource'>"
        "<stEvt:action>saved &amp; &quot;cropped&quot;</stEvt:action>"
        "<stEvt:softwareAgent>GIMP &apos;2.10&apos;</stEvt:softwareAgent>"
        "</rdf:li></rdf:Seq></xmpMM:History>"
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    r = run_analysis("metadata", write_evidence(_png_with_xmp(xmp), "x.png"))
    rows = {f.key: f for f in r.findings}
    tool = rows["XMP xmp:CreatorTool"]
    assert tool.value == "<img> Adobe Photoshop &lt; éA &xxe; &#0; \\u001b"
    assert tool.level == Level.NOTICE  # the decoded text still names the editor
    assert rows["XMP xmpMM:History"].value == "saved & \"cropped\" (GIMP '2.10')"


def test_xmp_values_in_cdata_sections_are_read_as_written(write_evidence) -> None:
    """An element's value may be a CDATA section, text taken as written (its ``<`` and
    ``&amp;`` are characters, not markup or references); such values were dropped, so a
    CreatorTool naming Photoshop in one named no editor and the history lost its agent."""
    xmp = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description>'
        "<xmp:CreatorTool><![CDATA[Adobe Photoshop <2021> &amp;]]></xmp:CreatorTool>"
        "<xmpMM:History><rdf:Seq><rdf:li rdf:parseType='Resource'>"
        "<stEvt:action>saved</stEvt:action>"
        "<stEvt:softwareAgent>GIMP &amp; <![CDATA[<b>2.10</b>]]></stEvt:softwareAgent>"
        "</rdf:li></rdf:Seq></xmpMM:History>"
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    r = run_analysis("metadata", write_evidence(_png_with_xmp(xmp), "x.png"))
    rows = {f.key: f for f in r.findings}
    tool = rows["XMP xmp:CreatorTool"]
    assert tool.value == "Adobe Photoshop <2021> &amp;"
    assert tool.level == Level.NOTICE and "photoshop" in tool.note
    assert rows["XMP xmpMM:History"].value == "saved (GIMP & <b>2.10</b>)"


@pytest.mark.parametrize(
    ("lat", "lon", "value", "note"),
    [
        (
            ("N", (52, 31, (1234, 100))),
            ("W", (13, 24, (1783, 100))),
            "52° 31′ 12.34″ N, 13° 24′ 17.83″ W (52.520094, -13.404953)",
            "a position claim that can be checked against the scene",
        ),
        (
            ("N", (0, 0, 0)),
            ("E", (0, 0, 0)),
            "0° 0′ 0″ N, 0° 0′ 0″ E (0.000000, 0.000000)",
            "no position fix",
        ),
        (  # the Leica T (Typ 701) of the camera photographs: 0/0 everywhere
            ("N", ((0, 0), (0, 0), (0, 0))),
            ("E", ((0, 0), (0, 0), (0, 0))),
            "no position: latitude and longitude written as 0/0",
            "without a value",
        ),
    ],
)
def test_the_gps_position_reads_as_the_metadata_table_writes_it(
    write_evidence, lat, lon, value, note
) -> None:
    """The GPS row read "52.0, 31.0, 12.34 N, 13.0, 24.0, 17.83 W" (Python's tuples) beside
    the metadata table's "52° 31′ 12.34″ N (52.520094°)", and a position of 0, 0 (what a
    camera without a fix writes, found in a camera-trap photograph, Issue_308) was called "a
    position claim that can be checked against the scene": it is open sea off West Africa;
    angles of 0/0 rationals read "nan, nan, nan"."""
    import io

    from PIL import Image, TiffImagePlugin

    def angle(parts):
        return tuple(
            TiffImagePlugin.IFDRational(*(p if isinstance(p, tuple) else (p,))) for p in parts
        )

    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Canon", "Canon EOS 5D"
    exif[0x8825] = {1: lat[0], 2: angle(lat[1]), 3: lon[0], 4: angle(lon[1])}
    buf = io.BytesIO()
    Image.fromarray(natural(96, 128, 3)).save(buf, "JPEG", quality=90, exif=exif.tobytes())
    r = run_analysis("metadata", write_evidence(buf.getvalue()))
    (gps,) = [f for f in r.findings if f.topic == "gps"]
    assert (gps.key, gps.value, gps.level) == ("GPS", value, Level.INFO)
    assert note in gps.note


@pytest.mark.parametrize(
    ("software", "level"),
    [
        ("ACD Systems 数码成像", Level.NOTICE),
        ("ACDSee Pro 3", Level.NOTICE),
        ("Ver.1.0", Level.INFO),
    ],
)
def test_acdsees_makers_name_in_software_is_an_editor(write_evidence, software, level) -> None:
    """Older ACDSee versions write their maker, "ACD Systems ..." (three of CASIA's authentic
    photographs), in EXIF Software, which was not taken for an editor's name."""
    r = run_analysis("metadata", write_evidence(_photo(make_exif({0x0131: software}))))
    assert next(f for f in r.findings if f.key == "EXIF Software").level == level


def test_a_gps_block_without_a_position_is_no_position_claim(write_evidence) -> None:
    """A Nikon D90's GPS block holds GPSVersionID alone (exiftool -GPS:all): it read "GPS =
    present — a position claim that can be checked against the scene"."""
    import io

    from PIL import Image

    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "NIKON CORPORATION", "NIKON D90"
    exif[0x8825] = {0: b"\x02\x02\x00\x00", 18: "WGS-84"}
    buf = io.BytesIO()
    Image.fromarray(natural(96, 128, 3)).save(buf, "JPEG", quality=90, exif=exif.tobytes())
    r = run_analysis("metadata", write_evidence(buf.getvalue()))
    (gps,) = [f for f in r.findings if f.topic == "gps"]
    assert gps.value == "GPS block without a position (only GPSVersionID, GPSMapDatum)"
    assert "position claim that can be checked" not in gps.note and "no position" in gps.note


def test_a_jpeg_comment_s_trailing_nuls_are_dropped(write_evidence) -> None:
    """A Minolta DiMAGE EX's comment is "PADBYTES" and a NUL: it showed PADBYTES\\u0000."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(natural(96, 128, 3)).save(buf, "JPEG", quality=90, comment=b"PADBYTES\0\0")
    r = run_analysis("metadata", write_evidence(buf.getvalue()))
    (row,) = [f for f in r.findings if f.key == "JPEG comment"]
    assert row.value == "PADBYTES"


def test_a_thumbnail_that_agrees_overall_is_not_said_to_match_and_a_local_edit_is_noticed(
    write_evidence,
) -> None:
    # One correlation over the whole picture hardly moves for a local edit: a camera
    # photograph with 3 % of it replaced read 0.944, "the thumbnail matches the image" (info),
    # while the thumbnail map showed the edit (AUC 0.99)
    import cv2

    scene = natural(480, 640, 1)
    thumb = jpeg_bytes(cv2.resize(scene, (160, 120), interpolation=cv2.INTER_AREA), 90)
    exif = make_exif({0x010F: "Cam", 0x0110: "One"}, thumbnail=thumb)
    same = run_analysis("metadata", write_evidence(jpeg_bytes(scene, 92, exif=exif), "a.jpg"))
    (row,) = [f for f in same.findings if f.topic == "thumbnail"]
    assert row.level == Level.INFO and "matches" not in row.note
    assert "agrees with the image overall" in row.note and "see the map" in row.note
    edited = scene.copy()
    edited[160:300, 400:540] = 255 - scene[160:300, 400:540]  # 6 % of the image, inverted
    r = run_analysis("metadata", write_evidence(jpeg_bytes(edited, 92, exif=exif), "b.jpg"))
    (row,) = [f for f in r.findings if f.topic == "thumbnail"]
    assert r.extras["thumbnail_correlation"] >= 0.85  # the correlation alone: information
    assert row.level == Level.NOTICE and "differs locally" in row.note
    assert r.extras["thumbnail_local_share"] >= 0.005 > same.extras["thumbnail_local_share"]


def _size_exif(
    pixel: tuple[int, int] | None = None,
    ifd0: tuple[int, int] | None = None,
    orientation: int | None = None,
) -> bytes:
    """A camera's EXIF (Make, Model) declaring the image's size: PixelXDimension x
    PixelYDimension in the Exif IFD, ImageWidth x ImageLength in IFD0."""
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "NIKON CORPORATION", "NIKON D90"
    if orientation is not None:
        exif[0x0112] = orientation
    if ifd0 is not None:
        exif[0x0100], exif[0x0101] = ifd0
    if pixel is not None:
        exif.get_ifd(0x8769).update({0xA002: pixel[0], 0xA003: pixel[1]})
    return exif.tobytes()


def _size_notices(r) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    return [
        (f.key, f.value, f.note)
        for f in r.findings
        if f.topic == "camera" and f.level == Level.NOTICE and "x" in f.value
    ]


def test_an_exif_size_other_than_the_images_is_a_notice(write_evidence) -> None:
    """Walk-through M: a D90 photograph upscaled to 11648 x 8736, its EXIF (4288 x 2848)
    kept, read "metadata nothing found"."""
    photo = jpeg_bytes(natural(240, 320, 1), 90, exif=_size_exif(pixel=(4288, 2848)))
    r = run_analysis("metadata", write_evidence(photo))
    assert _size_notices(r) == [
        (
            "EXIF PixelXDimension x PixelYDimension",
            "4288x2848",
            "EXIF says 4288x2848, the image is 320x240: resized or re-saved after capture",
        )
    ]
    photo = jpeg_bytes(natural(240, 320, 1), 90, exif=_size_exif(ifd0=(640, 480)))
    r = run_analysis("metadata", write_evidence(photo))
    assert [k for k, _, _ in _size_notices(r)] == ["EXIF ImageWidth x ImageLength"]


def test_under_a_turning_orientation_the_notice_gives_the_size_shown_too(write_evidence) -> None:
    """Review R, finding 9: the notice said "the image is 320x240" where the evidence header
    and the reports say 240x320."""
    exif = _size_exif(pixel=(4288, 2848), orientation=6)
    r = run_analysis("metadata", write_evidence(jpeg_bytes(natural(240, 320, 1), 90, exif=exif)))
    ((_, _, note),) = _size_notices(r)
    assert note == (
        "EXIF says 4288x2848, the image is stored as 320x240 (shown 240x320): resized or "
        "re-saved after capture"
    )


@pytest.mark.parametrize(
    ("pixel", "orientation"),
    [((320, 240), None), ((240, 320), 6), ((320, 240), 6), ((0, 0), None)],
    ids=["same", "turned, declared as shown", "turned, declared as stored", "zero: unknown"],
)
def test_the_images_own_size_either_way_round_is_no_notice(
    write_evidence, pixel: tuple[int, int], orientation: int | None
) -> None:
    exif = _size_exif(pixel=pixel, ifd0=(320, 240), orientation=orientation)
    r = run_analysis("metadata", write_evidence(jpeg_bytes(natural(240, 320, 1), 90, exif=exif)))
    assert _size_notices(r) == []


def test_a_tiff_is_held_to_its_exif_ifd_not_to_its_own_directory(write_evidence) -> None:
    import io

    from PIL import Image

    for pixel, want in (((320, 240), []), ((4288, 2848), ["4288x2848"])):
        buf = io.BytesIO()
        Image.fromarray(natural(240, 320, 1)).save(buf, "TIFF", exif=_size_exif(pixel=pixel))
        r = run_analysis("metadata", write_evidence(buf.getvalue(), "camera.tif"))
        assert [v for _, v, _ in _size_notices(r)] == want

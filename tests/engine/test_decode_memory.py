"""The decode-memory estimate of a TIFF against what the decode holds, and the claim of
docs/LIMITS.md that the default limit admits the layouts the pixel limit admits (a 102 MP
16-bit TIFF, the medium-format cameras' export, was refused at 1,933 MB for a decode that
took 1,326 MB: walk-through M, finding 2); and the same refusal from the header alone, before
any model is loaded (finding 7)."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import pytest
from PIL import TiffImagePlugin

from engine.bomb_guards import DEFAULT_MAX_DECODE_BYTES, decode_bytes_estimate
from engine.errors import ImageTooLargeError
from engine.io import load_evidence
from engine.precheck import refuse_beyond_limit
from tests.conftest import HANG_S

GFX100 = (11648, 8736)  # 101.8 MP; the pixel limit admits 105 MP
W105, H105 = 12000, 8750  # 105,000,000 pixels: the pixel limit exactly


def write_tiff(
    path: Path,
    w: int,
    h: int,
    *,
    bits: int = 16,
    spp: int = 3,
    compression: int = 1,
    rows: int | None = None,
    orientation: int | None = None,
    float_samples: bool = False,
    size: int | None = None,
    strip: bytes = b"",
) -> Path:
    """A little-endian classic TIFF declaring ``w`` x ``h`` (``spp`` samples of ``bits``,
    strips of ``rows`` rows, ``compression``: 1 none, 8 deflate), its strips' bytes after the
    header: ``strip`` (one strip, its bytes given), else zeros up to ``size`` bytes in all (a
    sparse file: nothing of it is written) or the uncompressed size."""
    rows = h if rows is None else rows
    n_strips = -(-h // rows)
    raw = w * rows * spp * bits // 8
    tags: list[tuple[int, int, int, list[int]]] = [  # tag, type (3 SHORT, 4 LONG), values
        (256, 4, 1, [w]),
        (257, 4, 1, [h]),
        (258, 3, spp, [bits] * spp),
        (259, 3, 1, [compression]),
        (262, 3, 1, [2 if spp >= 3 else 1]),
        (273, 4, n_strips, []),  # offsets, filled below
        (277, 3, 1, [spp]),
        (278, 4, 1, [rows]),
        (279, 4, n_strips, [len(strip)] if strip else [raw] * n_strips),
        (284, 3, 1, [1]),
    ]
    if orientation is not None:
        tags.append((274, 3, 1, [orientation]))
    if spp == 4:
        tags.append((338, 3, 1, [2]))  # unassociated alpha
    if float_samples:
        tags.append((339, 3, spp, [3] * spp))
    tags.sort()
    ifd_end = 8 + 2 + 12 * len(tags) + 4
    extra = bytearray()  # values longer than 4 bytes, after the IFD
    data_at = ifd_end + sum(
        (2 if t == 3 else 4) * c for _, t, c, _ in tags if (2 if t == 3 else 4) * c > 4
    )
    data_at += data_at % 2
    entries = bytearray()
    for tag, typ, count, values in tags:
        if tag == 273:
            step = len(strip) if strip else raw
            values = [data_at + i * step for i in range(n_strips)]
        packed = struct.pack(f"<{count}{'H' if typ == 3 else 'I'}", *values)
        if len(packed) <= 4:
            entries += struct.pack("<HHI", tag, typ, count) + packed.ljust(4, b"\0")
        else:
            entries += struct.pack("<HHII", tag, typ, count, ifd_end + len(extra))
            extra += packed
    head = b"II*\0" + struct.pack("<I", 8) + struct.pack("<H", len(tags)) + entries + b"\0" * 4
    head += extra
    head = head.ljust(data_at, b"\0")
    with open(path, "wb") as f:
        f.write(head + strip)
        if not strip:
            f.truncate(size if size is not None else data_at + raw * n_strips)
    return path


def estimate(path: Path) -> int:
    with TiffImagePlugin.TiffImageFile(path) as img:  # header only, no guard's warning
        return decode_bytes_estimate(img, "TIFF", path.stat().st_size)


# (name, write_tiff's arguments beyond the size, bytes per pixel in the file or None for the
# uncompressed size): layouts docs/LIMITS.md says the default limit admits at 105 MP
ADMITTED = {
    "16-bit RGB, one strip (as tifffile writes it)": ({}, None),
    "16-bit RGB, 64-row strips": ({"rows": 64}, None),
    "16-bit RGB, one strip, turned by its Orientation tag": ({"orientation": 6}, None),
    "16-bit RGBA, one strip": ({"spp": 4}, None),
    "float grey, one strip": ({"bits": 32, "spp": 1, "float_samples": True}, None),
    # 16-bit camera data deflated to 3/4 of its size, in one strip: strip buffer + raster
    "16-bit RGB, deflated to 4.5 bytes a pixel, one strip": ({"compression": 8}, 4.5),
}
# and those it says are beyond it
REFUSED = {
    "16-bit RGBA, turned by its Orientation tag": ({"spp": 4, "orientation": 6}, None),
    "16-bit RGB, compressed to no gain, one strip": ({"compression": 8}, 6.0),
}


def _at_105mp(tmp_path: Path, args: dict, per_pixel: float | None) -> Path:
    size = None if per_pixel is None else int(W105 * H105 * per_pixel) + 4096
    return write_tiff(tmp_path / "big.tif", W105, H105, size=size, **args)


@pytest.mark.parametrize("name", sorted(ADMITTED))
def test_the_default_decode_limit_admits_the_tiffs_the_pixel_limit_admits(
    tmp_path: Path, name: str
) -> None:
    args, per_pixel = ADMITTED[name]
    p = _at_105mp(tmp_path, args, per_pixel)
    assert estimate(p) <= DEFAULT_MAX_DECODE_BYTES
    assert refuse_beyond_limit(p) is None  # header and size only: the file is sparse


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_the_layouts_the_documentation_names_beyond_the_default_are(
    tmp_path: Path, name: str
) -> None:
    args, per_pixel = REFUSED[name]
    p = _at_105mp(tmp_path, args, per_pixel)
    assert estimate(p) > DEFAULT_MAX_DECODE_BYTES
    with pytest.raises(ImageTooLargeError, match="FORENSIC_VIEWER_MAX_DECODE_BYTES"):
        refuse_beyond_limit(p)


def test_a_gfx100_sized_16_bit_tiff_in_one_strip_is_admitted(tmp_path: Path) -> None:
    """The walk-through's file: 611 MB, one strip, uncompressed; its decode added 1,326 MB to
    the process (1,323 MB its file, raster and RGB result); estimated at 1,933 MB it was
    refused against the 1,611 MB default."""
    p = write_tiff(tmp_path / "x2d.tif", *GFX100)
    assert p.stat().st_size > 610_541_568  # the strip's bytes and the header
    n = GFX100[0] * GFX100[1]
    need = estimate(p)
    assert 13 * n < need < 13 * n + (16 << 20) < DEFAULT_MAX_DECODE_BYTES
    assert refuse_beyond_limit(p) is None


def test_the_header_check_refuses_by_decode_memory_in_load_evidences_words(
    tmp_path: Path,
) -> None:
    p = write_tiff(tmp_path / "t.tif", 300, 200, rows=16)
    need = estimate(p)
    with pytest.raises(ImageTooLargeError) as loaded:
        load_evidence(p, max_bytes=need - 1)
    with pytest.raises(ImageTooLargeError) as refused:
        refuse_beyond_limit(p, max_bytes=need - 1)
    assert str(refused.value) == str(loaded.value)
    assert str(refused.value).startswith(f"{p}: decoding this 300x200 RGB TIFF")
    assert refuse_beyond_limit(p, max_bytes=need) is None
    assert load_evidence(p, max_bytes=need).width == 300


def test_a_bomb_jpeg_over_the_decode_limit_is_left_to_load_evidences_words(
    tmp_path: Path,
) -> None:
    """A JPEG declaring more pixels than its bytes code is refused by load_evidence as
    incomplete before its decode is estimated: the header check does not refuse it in other
    words (the command then loads its models and load_evidence refuses it)."""
    from tests.engine.test_limit_edges import _grey_jpeg_declaring

    p = tmp_path / "bomb.jpg"
    p.write_bytes(_grey_jpeg_declaring(8000))
    with pytest.raises(Exception, match="decompression bomb"):
        load_evidence(p, max_bytes=1000)
    assert refuse_beyond_limit(p, max_bytes=1000) is None


# VmHWM, the peak resident memory of this process's memory map: ru_maxrss would carry the
# test process's own peak (torch imported) across fork and exec
MEASURE = textwrap.dedent(
    """
    import json, re, sys
    from engine.io import load_evidence

    def hwm():
        with open("/proc/self/status") as f:
            return int(re.search(r"VmHWM:\\s*(\\d+) kB", f.read()).group(1)) * 1024

    base = hwm()
    ev = load_evidence(sys.argv[1], max_bytes=1 << 40)
    print(json.dumps({"added": hwm() - base, "width": ev.width}))
    """
)


@pytest.mark.parametrize(
    "args",
    [{}, {"orientation": 6}, {"compression": 8}],
    ids=["uncompressed", "turned", "deflated"],
)
def test_the_estimate_is_above_what_the_decode_adds_to_the_process(
    tmp_path: Path, args: dict
) -> None:
    """Peak resident memory of a fresh process before and after the decode of a 12 MP 16-bit
    TIFF in one strip: uncompressed (file + raster + RGB), turned (file + raster + turned
    raster) and deflated (file + libtiff's strip buffer + raster; counting the buffer only
    for compressed files is what admits the uncompressed 102 MP TIFF)."""
    if not Path("/proc/self/status").exists():
        pytest.skip("reads the peak resident memory from /proc (Linux)")
    w, h = 4000, 3000
    strip = b""
    if args.get("compression") == 8:
        strip = zlib.compress(bytes(w * h * 6), 1)
    p = write_tiff(tmp_path / "m.tif", w, h, strip=strip, **args)
    need = estimate(p)
    run = subprocess.run(
        [sys.executable, "-c", MEASURE, str(p)],
        capture_output=True,
        text=True,
        timeout=HANG_S,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout)
    assert got["width"] == (h if "orientation" in args else w)
    assert got["added"] <= need, f"added {got['added'] / 1e6:.0f} MB, estimated {need / 1e6:.0f}"

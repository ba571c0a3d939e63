"""Mutation fuzzing of :func:`engine.io.load_evidence` (driven by tests/engine/test_io_fuzz.py).

Seeds are small valid files made here with Pillow (and by hand for run-length BMPs): every
allowed format, multi-frame TIFF/GIF/WebP/APNG, 16-bit and float TIFF, EXIF and text chunks.
Each case applies one to three mutations (byte flips, truncation, inserted or deleted or
repeated bytes, inserted PNG chunks, and overwrites of header fields that matter: widths,
heights, sample counts, IFD entries and offsets, strip counts, chunk lengths), from a fixed
RNG seed, then decodes the result. Every outcome must be an ``Evidence`` or an
``EvidenceError`` whose message is one printable line starting with the file name; anything
else is recorded with the case that caused it.

Run by hand (the mutants that fail are kept in --keep):

    PYTHONPATH=. python -m tests.engine.fuzz_images --cases 20000 --seed 16 --keep /tmp/fuzz
"""

from __future__ import annotations

import argparse
import io
import json
import random
import re
import resource
import struct
import sys
import time
import traceback
import warnings
import zlib
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, PngImagePlugin

from engine.errors import EvidenceError
from engine.io import load_evidence

INTERESTING = (0, 1, 2, 3, 7, 8, 15, 16, 31, 32, 127, 128, 255, 256, 1000, 4096, 10000)
INTERESTING += (0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF)
PNG_CHUNK_TYPES = (b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"iCCP", b"PLTE", b"tRNS", b"IDAT")
PNG_CHUNK_TYPES += (b"acTL", b"fcTL", b"fdAT", b"sBIT", b"gAMA", b"pHYs", b"IHDR", b"IEND")


# --- seeds -------------------------------------------------------------------------------------


def _save(img: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kw)
    return buf.getvalue()


def _rle_bmp(rle4: bool) -> bytes:
    """An 8 x 4 run-length coded BMP (RLE8 or RLE4): runs, an absolute run, a delta, EOB.

    Every pixel is coded: Pillow refuses a run-length BMP whose codes end early."""
    w, h, colours = 8, 4, 16 if rle4 else 256
    palette = b"".join(bytes((i * 15 % 256, i * 7 % 256, 255 - i, 0)) for i in range(colours))
    if rle4:
        rows = [b"\x04\x12\x04\x34\x00\x00", b"\x00\x04\x56\x78\x04\x9a\x00\x00"]
    else:
        rows = [b"\x04\x01\x04\x02\x00\x00", b"\x00\x04\x05\x06\x07\x08\x04\x09\x00\x00"]
    # A delta (right 1, up 1: 9 pixels skipped), a run of 7 to fill the image, end of bitmap.
    bits = b"".join(rows) + b"\x00\x02\x01\x01\x07\x03\x00\x01"
    offset = 14 + 40 + len(palette)
    header = b"BM" + struct.pack("<IHHI", offset + len(bits), 0, 0, offset)
    info = struct.pack(
        "<IiiHHIIiiII",
        40,
        w,
        h,
        1,
        4 if rle4 else 8,
        2 if rle4 else 1,
        len(bits),
        2835,
        2835,
        colours,
        0,
    )
    return header + info + palette + bits


def make_seeds() -> dict[str, bytes]:
    """Small valid files of every allowed format and the layouts worth breaking."""
    rng = np.random.default_rng(16)
    rgb = Image.fromarray(rng.integers(0, 256, (16, 24, 3), np.uint8))
    frames = [Image.new("RGB", (24, 16), c) for c in ((255, 0, 0), (0, 0, 255), (0, 255, 0))]
    frames[1].paste((9, 9, 9), (4, 4, 12, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation
    exif[0x010E] = "seed image"
    exif.get_ifd(0x8825)[2] = (51.0, 30.0, 0.0)  # GPS latitude
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "seed")
    text.add_text("Software", "fuzz" * 20, zip=True)
    text.add_itxt("Title", "ü", lang="de")
    g16 = Image.fromarray(rng.integers(0, 65536, (12, 10), np.uint16))
    flt = Image.fromarray(rng.normal(0, 2, (12, 10)).astype(np.float32), mode="F")
    i32 = Image.fromarray(rng.integers(-(2**20), 2**24, (12, 10), np.int32), mode="I")
    return {
        # PNG
        "rgb.png": _save(rgb, "PNG", pnginfo=text, exif=exif),
        "rgba.png": _save(rgb.convert("RGBA"), "PNG"),
        "ptrns.png": _save(rgb.quantize(16), "PNG", transparency=3),
        "g16.png": _save(g16, "PNG"),
        "bw.png": _save(rgb.convert("1"), "PNG"),
        "la.png": _save(rgb.convert("LA"), "PNG"),
        "anim.png": _save(frames[0], "PNG", save_all=True, append_images=frames[1:]),
        # JPEG
        "exif.jpg": _save(rgb, "JPEG", exif=exif, quality=90),
        "prog.jpg": _save(rgb, "JPEG", progressive=True),
        "gray.jpg": _save(rgb.convert("L"), "JPEG"),
        "cmyk.jpg": _save(rgb.convert("CMYK"), "JPEG"),
        "444.jpg": _save(rgb, "JPEG", subsampling=0, quality=95),
        # TIFF
        "rgb.tif": _save(rgb, "TIFF", exif=exif),
        "pages.tif": _save(frames[0], "TIFF", save_all=True, append_images=frames[1:]),
        "lzw_pages.tif": _save(
            rgb, "TIFF", save_all=True, append_images=[rgb.convert("L")], compression="tiff_lzw"
        ),
        "deflate.tif": _save(rgb, "TIFF", compression="tiff_adobe_deflate"),
        "packbits.tif": _save(rgb, "TIFF", compression="packbits"),
        "jpeg.tif": _save(rgb, "TIFF", compression="jpeg"),
        "g4.tif": _save(rgb.convert("1"), "TIFF", compression="group4"),
        "g16.tif": _save(g16, "TIFF"),
        "float.tif": _save(flt, "TIFF"),
        "i32.tif": _save(i32, "TIFF"),
        "cmyk.tif": _save(rgb.convert("CMYK"), "TIFF"),
        # GIF
        "anim.gif": _save(
            frames[0],
            "GIF",
            save_all=True,
            append_images=frames[1:],
            duration=50,
            loop=0,
            disposal=2,
            transparency=0,
        ),
        "one.gif": _save(rgb.quantize(32), "GIF", comment=b"seed"),
        # WebP
        "lossy.webp": _save(rgb, "WEBP", quality=80),
        "lossless.webp": _save(rgb.convert("RGBA"), "WEBP", lossless=True, exif=exif),
        "anim.webp": _save(frames[0], "WEBP", save_all=True, append_images=frames[1:]),
        # BMP
        "rgb.bmp": _save(rgb, "BMP"),
        "p.bmp": _save(rgb.quantize(16), "BMP"),
        "bw.bmp": _save(rgb.convert("1"), "BMP"),
        "rle8.bmp": _rle_bmp(rle4=False),
        "rle4.bmp": _rle_bmp(rle4=True),
    }


# --- header fields worth overwriting -----------------------------------------------------------

Field = tuple[int, int, str]  # offset, width in bytes (1, 2, 4), byte order ("<" or ">")


def _png_fields(d: bytes) -> list[Field]:
    out: list[Field] = [(16, 4, ">"), (20, 4, ">"), (24, 1, ">"), (25, 1, ">"), (28, 1, ">")]
    pos = 8
    while pos + 8 <= len(d):
        out.append((pos, 4, ">"))  # chunk length
        pos += 12 + int.from_bytes(d[pos : pos + 4], "big")
    return out


def _jpeg_fields(d: bytes) -> list[Field]:
    out: list[Field] = []
    pos = 2
    while pos + 4 <= len(d) and d[pos] == 0xFF:
        marker, length = d[pos + 1], int.from_bytes(d[pos + 2 : pos + 4], "big")
        out.append((pos + 2, 2, ">"))  # segment length
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # frame header
            out += [(pos + 4, 1, ">"), (pos + 5, 2, ">"), (pos + 7, 2, ">"), (pos + 9, 1, ">")]
            out += [(pos + 11 + 3 * i, 1, ">") for i in range(d[pos + 9])]  # sampling
        if marker == 0xDA:  # scan header: component count, selectors
            out += [(pos + 4 + i, 1, ">") for i in range(min(length - 2, 10))]
            break
        pos += 2 + length
    return out


def _tiff_fields(d: bytes) -> list[Field]:
    order = "<" if d[:2] == b"II" else ">"
    out: list[Field] = [(4, 4, order)]
    offset, seen = struct.unpack(order + "I", d[4:8])[0], set()
    while offset and offset not in seen and offset + 2 <= len(d):
        seen.add(offset)
        count = struct.unpack(order + "H", d[offset : offset + 2])[0]
        out.append((offset, 2, order))
        for i in range(count):
            e = offset + 2 + 12 * i
            out += [(e, 2, order), (e + 2, 2, order), (e + 4, 4, order), (e + 8, 4, order)]
            out += [(e + 8, 2, order)]
        end = offset + 2 + 12 * count
        if end + 4 > len(d):
            break
        out.append((end, 4, order))  # next IFD
        offset = struct.unpack(order + "I", d[end : end + 4])[0]
    return out


def _gif_fields(d: bytes) -> list[Field]:
    out: list[Field] = [(6, 2, "<"), (8, 2, "<"), (10, 1, "<")]
    for m in re.finditer(rb"\x2c", d[13:]):
        p = 13 + m.start()
        out += [(p + 1 + 2 * i, 2, "<") for i in range(4)] + [(p + 9, 1, "<"), (p + 10, 1, "<")]
    return out[:60]


def _webp_fields(d: bytes) -> list[Field]:
    out: list[Field] = [(4, 4, "<")]
    pos = 12
    while pos + 8 <= len(d):
        out.append((pos + 4, 4, "<"))  # chunk size
        out += [(pos + 8 + i, 2, "<") for i in range(0, 10, 2)]  # VP8X canvas, VP8L header
        pos += 8 + int.from_bytes(d[pos + 4 : pos + 8], "little") + 1 & ~1
    return out


def _bmp_fields(d: bytes) -> list[Field]:
    return (
        [(o, 4, "<") for o in (2, 10, 14, 18, 22, 34, 46)]
        + [(26, 2, "<"), (28, 2, "<")]
        + [(30, 4, "<")]
    )


FIELDS: dict[str, Callable[[bytes], list[Field]]] = {
    ".png": _png_fields,
    ".jpg": _jpeg_fields,
    ".tif": _tiff_fields,
    ".gif": _gif_fields,
    ".webp": _webp_fields,
    ".bmp": _bmp_fields,
}


# --- mutations ---------------------------------------------------------------------------------


def _pos(r: random.Random, d: bytes | bytearray, head: int = 256) -> int:
    """A position, half the time in the first ``head`` bytes (where the headers are)."""
    n = max(len(d), 1)
    return r.randrange(min(n, head)) if r.random() < 0.5 else r.randrange(n)


def _flip(r: random.Random, d: bytearray, fields: list[Field]) -> str:
    k = r.randint(1, 8)
    for _ in range(k):
        d[_pos(r, d)] ^= r.randint(1, 255)
    return f"flip {k}"


def _truncate(r: random.Random, d: bytearray, fields: list[Field]) -> str:
    at = r.randint(1, max(1, len(d) - 1))
    del d[at:]
    return f"truncate at {at}"


def _insert(r: random.Random, d: bytearray, fields: list[Field]) -> str:
    at = _pos(r, d)
    if r.random() < 0.5:
        blob = r.randbytes(r.randint(1, 64))
    else:
        a = r.randrange(len(d))
        blob = bytes(d[a : a + r.randint(1, 256)])
    d[at:at] = blob
    return f"insert {len(blob)} at {at}"


def _delete(r: random.Random, d: bytearray, fields: list[Field]) -> str:
    at = _pos(r, d)
    k = r.randint(1, 64)
    del d[at : at + k]
    return f"delete {k} at {at}"


def _repeat(r: random.Random, d: bytearray, fields: list[Field]) -> str:
    a = r.randrange(len(d))
    blob = bytes(d[a : a + r.randint(1, 512)])
    d[a:a] = blob * r.randint(1, 8)
    return f"repeat {len(blob)} at {a}"


def _overwrite(r: random.Random, d: bytearray, fields: list[Field]) -> str:
    if fields and r.random() < 0.8:
        off, width, order = r.choice(fields)
    else:
        off, width, order = _pos(r, d, 64), r.choice((1, 2, 4)), r.choice("<>")
    value = r.choice(INTERESTING) if r.random() < 0.8 else r.randrange(len(d) + 64)
    if r.random() < 0.2:
        value = len(d) + r.randint(-8, 8)
    value &= (1 << (8 * width)) - 1
    raw = value.to_bytes(width, "little" if order == "<" else "big")
    d[off : off + width] = raw[: max(0, len(d) - off)]
    return f"overwrite {width}B at {off} = {value}"


def _png_chunk(r: random.Random, d: bytearray, fields: list[Field]) -> str:
    kind = r.choice(PNG_CHUNK_TYPES) if r.random() < 0.8 else r.randbytes(4)
    body = r.randbytes(r.randint(0, 40))
    if kind in (b"zTXt", b"iCCP") and r.random() < 0.5:  # a compressed bomb of text
        body = b"k\x00\x00" + zlib.compress(b"\x00" * r.choice((1000, 10**6, 10**7)))
    chunk = struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ends = [f[0] for f in fields if f[1] == 4 and f[0] >= 8 and f[0] not in (16, 20)]
    at = r.choice(ends) if ends else 33
    d[at:at] = chunk
    return f"chunk {kind.decode('latin-1')!a} at {at}"


MUTATIONS = (_flip, _truncate, _insert, _delete, _repeat, _overwrite, _overwrite, _overwrite)


def _fix_png_crcs(d: bytearray) -> None:
    """Recompute every chunk CRC, so the mutant reaches Pillow's parser."""
    pos = 8
    while pos + 12 <= len(d):
        length = int.from_bytes(d[pos : pos + 4], "big")
        end = pos + 8 + length
        if end + 4 > len(d):
            return
        d[end : end + 4] = struct.pack(">I", zlib.crc32(d[pos + 4 : end]))
        pos = end + 4


def mutate(r: random.Random, name: str, seed: bytes) -> tuple[bytes, str]:
    """One mutant of ``seed`` and a description of what was done to it."""
    d = bytearray(seed)
    suffix = Path(name).suffix
    done = []
    for _ in range(r.choice((1, 1, 2, 3))):
        try:  # the fields of the mutant so far, which the finders may not make sense of
            fields = FIELDS[suffix](bytes(d)) if len(d) >= 16 else []
        except (IndexError, struct.error):
            fields = []
        op = _png_chunk if suffix == ".png" and r.random() < 0.15 else r.choice(MUTATIONS)
        if len(d) < 2:
            break
        done.append(op(r, d, fields))
    if suffix == ".png" and r.random() < 0.7:
        _fix_png_crcs(d)
        done.append("CRCs fixed")
    return bytes(d), "; ".join(done)


# --- running -----------------------------------------------------------------------------------

_REPR = re.compile(r"""\bb['"]""")


def check_outcome(path: Path, max_pixels: int, max_bytes: int) -> tuple[str, str | None]:
    """Decode ``path``: (outcome, problem). Outcome is "Evidence" or the error class name;
    problem is None, or what is wrong (an uncaught exception, a bad message, bad pixels)."""
    try:
        ev = load_evidence(path, max_pixels=max_pixels, max_bytes=max_bytes)
    except EvidenceError as e:
        msg = str(e)
        name = type(e).__name__
        if not msg.startswith(f"{path}: "):
            return name, f"message does not start with the file name: {msg[:300]}"
        if "\n" in msg or not msg.isprintable():
            return name, f"message is not one printable line: {msg[:300]!r}"
        if _REPR.search(msg[len(str(path)) :]):
            return name, f"message holds a Python bytes repr: {msg[:300]}"
        return name, None
    except Exception as e:
        tb = traceback.extract_tb(e.__traceback__)[-3:]
        where = " <- ".join(f"{Path(f.filename).name}:{f.lineno}" for f in reversed(tb))
        return f"UNCAUGHT {type(e).__name__}", f"{type(e).__name__}: {str(e)[:200]} at {where}"
    px = ev.pixels
    if px.dtype != np.uint8 or px.shape != (ev.height, ev.width, 3) or px.flags.writeable:
        return "Evidence", f"bad pixels {px.dtype} {px.shape} for {ev.width}x{ev.height}"
    if ev.frames < 1 or any("\n" in w for w in ev.warnings):
        return "Evidence", f"bad frames {ev.frames} or warnings {ev.warnings}"
    return "Evidence", None


def run(
    cases: int,
    seed: int,
    workdir: Path,
    *,
    max_pixels: int,
    max_bytes: int,
    keep: Path | None = None,
) -> dict[str, object]:
    """Decode ``cases`` mutants; a summary with outcome counts and every problem found."""
    seeds = make_seeds()
    names = sorted(seeds)
    r = random.Random(seed)
    outcomes: Counter[str] = Counter()
    problems: list[dict[str, object]] = []
    slowest: list[tuple[float, int, str]] = []
    start = time.perf_counter()
    for name in names:  # the seeds themselves must decode
        p = workdir / f"seed-{name}"
        p.write_bytes(seeds[name])
        outcome, problem = check_outcome(p, max_pixels, max_bytes)
        if outcome != "Evidence" or problem:
            problems.append({"case": name, "outcome": outcome, "problem": problem})
    for i in range(cases):
        name = names[i % len(names)]
        data, what = mutate(r, name, seeds[name])
        p = workdir / f"case-{i:06d}{Path(name).suffix}"
        p.write_bytes(data)
        t = time.perf_counter()
        outcome, problem = check_outcome(p, max_pixels, max_bytes)
        dt = time.perf_counter() - t
        slowest = sorted([*slowest, (dt, i, f"{name}: {what}")], reverse=True)[:5]
        outcomes[outcome] += 1
        if problem:
            problems.append({"case": i, "seed": name, "mutation": what, "problem": problem})
            if keep is not None:
                keep.mkdir(parents=True, exist_ok=True)
                (keep / p.name).write_bytes(data)
        p.unlink()
    return {
        "cases": cases,
        "seed": seed,
        "seconds": round(time.perf_counter() - start, 2),
        "outcomes": dict(outcomes.most_common()),
        "problems": problems,
        "slowest": [{"seconds": round(s, 3), "case": c, "what": w} for s, c, w in slowest],
        "peak_rss_mb": _peak_rss_mb(),
    }


def _peak_rss_mb() -> int | None:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited across
    the exec that started it), or None where /proc is missing."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    m = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(m[1]) // 1024 if m else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--max-pixels", type=int, default=4_000_000)
    ap.add_argument("--max-bytes", type=int, default=256 << 20)
    ap.add_argument("--address-space", type=int, default=1 << 30, help="RLIMIT_AS, bytes")
    ap.add_argument("--keep", type=Path, default=None, help="save the mutants that fail here")
    args = ap.parse_args(argv)
    # A decode that outgrows its estimate fails here as NotEnoughMemoryError, not by swapping.
    resource.setrlimit(resource.RLIMIT_AS, (args.address_space, args.address_space))
    warnings.simplefilter("ignore")  # Pillow warns about some damage it tolerates
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.workdir or Path(tmp)
        summary = run(
            args.cases,
            args.seed,
            workdir,
            max_pixels=args.max_pixels,
            max_bytes=args.max_bytes,
            keep=args.keep,
        )
    json.dump(summary, sys.stdout, indent=1)
    print()
    return 1 if summary["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())

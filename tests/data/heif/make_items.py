"""Writes the HEIF test files with thumbnail, depth and auxiliary items (README.md).

Run once by hand with pillow-heif 1.9 (its x265 encoder; the project depends on pi-heif, which
only decodes): ``python make_items.py`` in this folder. pillow-heif writes thumbnails; the
other items are made by rewriting the ``meta`` box of its output here (libheif cannot write
depth or auxiliary items), so this file holds a small writer of the boxes pillow-heif emits.
"""

from __future__ import annotations

import io
import struct

import numpy as np
import pillow_heif
from PIL import Image

pillow_heif.register_heif_opener()

DEPTH = b"urn:mpeg:hevc:2015:auxid:2\x00"  # libheif's depth type (HEVC auxiliary id 2)
GAIN_MAP = b"urn:com:apple:photo:2020:aux:hdrgainmap\x00"  # an iPhone's HDR gain map


def picture(h: int = 64, w: int = 96, flip: bool = False) -> Image.Image:
    """plain.heic's gradient with a red block (README.md); ``flip``: other content."""
    y, x = np.mgrid[0:h, 0:w]
    rgb = np.stack([x * 255 // (w - 1), y * 255 // (h - 1), np.full_like(x, 90)], -1)
    rgb = rgb.astype(np.uint8)
    rgb[8:24, 10:30] = (250, 20, 20)
    return Image.fromarray(np.ascontiguousarray(rgb[::-1, ::-1]) if flip else rgb)


def boxes(b: bytes, start: int, end: int) -> list[tuple[bytes, int, int, int]]:
    """(type, start, content start, end) of the boxes in b[start:end] (32-bit sizes only)."""
    out, i = [], start
    while i < end:
        size, typ = struct.unpack(">I4s", b[i : i + 8])
        out.append((typ, i, i + 8, i + size))
        i += size
    return out


def box(typ: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), typ) + payload


class Meta:
    """The meta box of a pillow-heif file as parts that can be changed and written back."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        top = boxes(data, 0, len(data))
        (_, self.start, c, self.end) = next(t for t in top if t[0] == b"meta")
        self.head = data[c : c + 4]
        self.children: list[list] = []
        for typ, s, cs, e in boxes(data, c + 4, self.end):
            if typ == b"iprp":
                ipco, ipma = boxes(data, cs, e)
                props = [data[s2:e2] for _, s2, _, e2 in boxes(data, ipco[2], ipco[3])]
                self.props = props
                self.assoc = self._ipma(data[ipma[2] : ipma[3]])
                self.children.append([typ, None])
            elif typ == b"iref":
                self.refs = [
                    [t, *self._ref(data[cs2:e2])] for t, _, cs2, e2 in boxes(data, cs + 4, e)
                ]
                self.children.append([typ, None])
            else:
                self.children.append([typ, data[s:e]])

    @staticmethod
    def _ipma(p: bytes) -> dict[int, list[int]]:
        assert p[:4] == b"\x00\x00\x00\x00", "ipma version 0, 7-bit indices"
        n, i, out = struct.unpack(">I", p[4:8])[0], 8, {}
        for _ in range(n):
            item, count = struct.unpack(">HB", p[i : i + 3])
            out[item] = list(p[i + 3 : i + 3 + count])
            i += 3 + count
        return out

    @staticmethod
    def _ref(p: bytes) -> tuple[int, list[int]]:
        frm, n = struct.unpack(">HH", p[:4])
        return frm, list(struct.unpack(f">{n}H", p[4 : 4 + 2 * n]))

    def add_prop(self, prop: bytes, item: int, essential: bool = False) -> None:
        self.props.append(prop)
        self.assoc[item].append(len(self.props) | (0x80 if essential else 0))

    def write(self) -> bytes:
        """The file with this meta box, item offsets moved by the change of its size."""
        parts = []
        for typ, raw in self.children:
            if typ == b"iprp":
                ipma = struct.pack(">4sI", b"\x00" * 4, len(self.assoc)) + b"".join(
                    struct.pack(">HB", k, len(v)) + bytes(v) for k, v in sorted(self.assoc.items())
                )
                parts.append(box(b"iprp", box(b"ipco", b"".join(self.props)) + box(b"ipma", ipma)))
            elif typ == b"iref":
                refs = b"".join(
                    box(t, struct.pack(f">HH{len(to)}H", frm, len(to), *to))
                    for t, frm, to in self.refs
                )
                parts.append(box(b"iref", b"\x00" * 4 + refs))
            else:
                parts.append(raw)
        meta = box(b"meta", self.head + b"".join(parts))
        delta = len(meta) - (self.end - self.start)
        out = bytearray(self.data[: self.start] + meta + self.data[self.end :])
        iloc = next(
            t for t in boxes(out, self.start + 12, self.start + len(meta)) if t[0] == b"iloc"
        )
        c = iloc[2]
        assert out[c : c + 6] == b"\x00\x00\x00\x00\x44\x40", "iloc v0, 4-byte offsets"
        n, i = struct.unpack(">H", out[c + 6 : c + 8])[0], c + 8
        for _ in range(n):
            base = struct.unpack(">I", out[i + 4 : i + 8])[0]
            out[i + 4 : i + 8] = struct.pack(">I", base + delta if base >= self.end else base)
            extents = struct.unpack(">H", out[i + 8 : i + 10])[0]
            i += 10 + 8 * extents
        return bytes(out)

    def hide(self, item: int) -> None:
        """Set the hidden flag of ``item``'s infe box (the data is left where it is)."""
        for child in self.children:
            if child[0] == b"iinf":
                raw = bytearray(child[1])
                for _, s, _, _ in boxes(raw, 14, len(raw)):
                    if struct.unpack(">H", raw[s + 12 : s + 14])[0] == item:
                        raw[s + 11] |= 1
                child[1] = bytes(raw)


def encode(*images: tuple[Image.Image, list[int]], exif: bytes) -> bytes:
    """A HEIF file of ``images`` (picture, thumbnail sizes), the first primary, turned by
    ``exif``'s orientation (libheif writes it as irot/imir)."""
    buf = io.BytesIO()
    (first, thumbs), *rest = images
    if not rest:
        first.save(buf, format="HEIF", quality=95, thumbnails=thumbs, exif=exif)
        return buf.getvalue()
    hf = pillow_heif.HeifFile()
    for k, (img, sizes) in enumerate(images):
        added = hf.add_from_pillow(img)
        added.info["thumbnails"] = sizes
        if k == 0:
            added.info["exif"] = exif
    hf.save(buf, quality=95)
    return buf.getvalue()


def exif_with_thumbnail(orientation: int, thumbnail: bytes) -> bytes:
    """An EXIF block (little-endian): IFD0 with Make ``FixtureCam`` and ``orientation``, IFD1
    with a JPEG thumbnail, as a camera writes it (Pillow writes no IFD1)."""
    make = b"FixtureCam\x00"
    make_at = 8 + 2 + 12 * 2 + 4
    ifd1_at = make_at + len(make)
    thumb_at = ifd1_at + 2 + 12 * 2 + 4
    ifd0 = struct.pack("<H", 2) + struct.pack("<HHII", 0x010F, 2, len(make), make_at)
    ifd0 += struct.pack("<HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack("<I", ifd1_at)
    ifd1 = struct.pack("<H", 2) + struct.pack("<HHII", 0x0201, 4, 1, thumb_at)
    ifd1 += struct.pack("<HHII", 0x0202, 4, 1, len(thumbnail)) + struct.pack("<I", 0)
    tiff = b"II*\x00" + struct.pack("<I", 8) + ifd0 + make + ifd1 + thumbnail
    return b"Exif\x00\x00" + tiff


def exif_thumbnail_files() -> None:
    """exif-thumbnail-rotated.heic and exif-thumbnail-other.heic (README.md), added on
    2026-12-05 without writing the files above again."""
    for name, flip in (("exif-thumbnail-rotated.heic", False), ("exif-thumbnail-other.heic", True)):
        buf = io.BytesIO()
        picture(flip=flip).resize((48, 32), Image.Resampling.LANCZOS).save(buf, "JPEG", quality=90)
        exif = exif_with_thumbnail(6, buf.getvalue())  # libheif writes irot for it
        with open(name, "wb") as f:
            f.write(encode((picture(), []), exif=exif))


def main() -> None:
    exif = Image.Exif()
    exif[0x010F] = "FixtureCam"
    cam = exif.tobytes()
    exif6 = Image.Exif()
    exif6[0x010F] = "FixtureCam"
    exif6[0x0112] = 6
    # thumbnail.heic: the picture with a 48-pixel thumbnail, libheif's reduction of it
    with open("thumbnail.heic", "wb") as f:
        f.write(encode((picture(), [48]), exif=cam))
    # thumbnail-rotated.heic: turned by irot (EXIF 6); libheif gives the thumbnail the same irot
    rot = encode((picture(), [48]), exif=exif6.tobytes())
    with open("thumbnail-rotated.heic", "wb") as f:
        f.write(rot)
    # thumbnail-unturned.heic: the same with the thumbnail's irot association removed, as
    # writers that turn only the primary image leave it (the thumbnail stored as shot)
    meta = Meta(rot)
    irot = next(k + 1 for k, p in enumerate(meta.props) if p[4:8] == b"irot")
    thumb = next(r[1] for r in meta.refs if r[0] == b"thmb")
    meta.assoc[thumb] = [a for a in meta.assoc[thumb] if a & 0x7F != irot]
    with open("thumbnail-unturned.heic", "wb") as f:
        f.write(meta.write())
    # thumbnail-other.heic: the primary picture changed after the thumbnail was written: the
    # thumbnail (of the picture turned upside down) is another item's, moved to the primary,
    # whose own item is left hidden
    meta = Meta(encode((picture(), []), (picture(flip=True), [48]), exif=cam))
    ref = next(r for r in meta.refs if r[0] == b"thmb")
    old = ref[2][0]
    ref[2] = [1]
    meta.hide(old)
    with open("thumbnail-other.heic", "wb") as f:
        f.write(meta.write())
    # depth.heic: a 48 x 32 depth map (the picture's aspect) and an HDR gain map of 24 x 16
    meta = Meta(encode((picture(), [48, 24]), exif=cam))
    for ref, urn in zip([r for r in meta.refs if r[0] == b"thmb"], (DEPTH, GAIN_MAP), strict=True):
        ref[0] = b"auxl"
        meta.add_prop(box(b"auxC", b"\x00" * 4 + urn), ref[1], essential=True)
    with open("depth.heic", "wb") as f:
        f.write(meta.write())
    # depth-square.heic: a 32 x 32 depth map, another aspect than the 96 x 64 picture
    meta = Meta(encode((picture(), []), (picture(32, 32), []), exif=cam))
    depth = next(k for k in meta.assoc if k != 1)  # the second image's item
    meta.refs.append([b"auxl", depth, [1]])
    meta.add_prop(box(b"auxC", b"\x00" * 4 + DEPTH), depth, essential=True)
    with open("depth-square.heic", "wb") as f:
        f.write(meta.write())
    exif_thumbnail_files()


if __name__ == "__main__":
    main()

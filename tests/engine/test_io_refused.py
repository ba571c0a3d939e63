"""Files outside the allow-list: refused in one line that names what they hold."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from engine.errors import UnsupportedFormatError
from engine.io import load_evidence


@pytest.mark.parametrize("name", ["favicon.ico", "favicon.png"])
def test_a_windows_icon_is_named_in_its_refusal(tmp_path: Path, name: str) -> None:
    # It read "unrecognised bytes", as noise would, though its first bytes say what it is.
    p = tmp_path / name
    Image.new("RGB", (64, 64), "red").save(p, format="ICO", sizes=[(16, 16), (32, 32), (64, 64)])
    with pytest.raises(UnsupportedFormatError) as caught:
        load_evidence(p)
    said = str(caught.value)
    assert said.startswith(f"{p}: not an image of an allowed format")
    assert "a Windows icon (ICO) of 3 pictures, the largest 64x64" in said
    assert "not a photograph" in said and "unrecognised" not in said and "\n" not in said


def test_a_windows_cursor_is_named_too(tmp_path: Path) -> None:
    entry = (
        bytes([48, 48, 0, 0, 1, 0, 32, 0]) + (40).to_bytes(4, "little") + (22).to_bytes(4, "little")
    )
    p = tmp_path / "arrow.cur"
    p.write_bytes(b"\x00\x00\x02\x00\x01\x00" + entry + bytes(40))
    with pytest.raises(
        UnsupportedFormatError, match=r"a Windows cursor \(CUR\) of 1 picture, 48x48"
    ):
        load_evidence(p)

"""The OpenVINO conversions cached on disk (:class:`engine.runtime.OpenVINORunner`'s).

One conversion is one file, ``KEY.ovcache`` in ``openvino/`` of :func:`cache_dir`: a first line
of JSON (the key it was made for: the checkpoint's whole SHA-256, the input shape, OpenVINO's
whole version, the export version; the sizes of the two parts and the SHA-256 of both), then
the model's XML, then its weights. Why one file and a key inside it:

- Written through :class:`engine.files.AtomicFile` (a temporary file of its own per writer,
  then one replace), so a reader sees a whole conversion or none: two processes converting the
  same network into an empty cache at once (``scan --jobs 2``'s workers, the viewer and a scan)
  each replace the file whole. The IR pair it replaced (``KEY.xml`` and ``KEY.bin``, replaced
  one after the other) could be read half from one writer and half from another, or half from
  before a crash.
- Read only when the key matches and the bytes hash to what the first line says
  (:func:`read_conversion`): a file cut short (a kill while saving, a full disk), damaged
  weights (which OpenVINO read without a word: the outputs moved by 8e-4), or a conversion of
  another checkpoint or OpenVINO build that came to bear the same name (the name holds 20 hex
  digits of the SHA-256; it held OpenVINO's version without its build, and a file can be
  copied) is one warning naming the file, and the network is converted again, which replaces
  it. Two builds sharing one cache (a lab's network home) each have a name of their own. The cache is never trusted
  further than that: a conversion is written only after it matched PyTorch on the test tile.
- A cache folder that cannot be made or written (a read-only home, a full disk, a file where
  the folder should be) costs the conversion at every start, nothing else: the model converted
  in memory runs, and one warning per folder and process names the folder
  (:func:`openvino_folder`, :func:`save_conversion`), not one per network and tile shape;
  one per scan for a scan's worker processes (``scan --jobs N``), which share a flag
  (:func:`share_warning`) instead of each saying it.
- A write killed before its end (SIGKILL, a power cut) leaves its temporary files; the next
  runner of the same conversion removes those older than :data:`LEFTOVER_SECONDS`
  (:func:`remove_leftovers`).
- The IR pairs of the layout before this one (``KEY.xml`` and ``KEY.bin``, named as
  :data:`OLD_PAIR` says), which nothing reads any more, are removed from the folder the first
  time a process uses it (:func:`remove_old_pairs`): each was the size of its network's
  weights, and a cache kept them for good.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO

from engine.environ import path_setting, user_cache_dir
from engine.files import TEMP_SUFFIX, AtomicFile, file_above, not_regular_reason, open_regular

log = logging.getLogger("engine.runtime")  # the runner's warnings, where they were before

SUFFIX = ".ovcache"  # a cached conversion's file name ends so
FORMAT = "forensic-viewer openvino conversion 1"  # the first line's "format"
HEADER_LIMIT = 64 * 1024  # bytes of the first line read at most (it is a few hundred)
# A write's leftovers older than this are a killed write's (a conversion and its save take
# seconds to a few minutes), removed when the same conversion is next read
LEFTOVER_SECONDS = 3600.0
# A conversion of the layout before this file's (engine.runtime up to 05a686d): the IR pair
# KEY.xml / KEY.bin, KEY being 20 hex digits of the checkpoint's SHA-256, the tile shape,
# OpenVINO's version and the export version ("0123...-64x64-ov2025.3.0-e2.xml")
OLD_PAIR = re.compile(r"[0-9a-f]{20}-(?:dyn|[0-9]+x[0-9]+)-ov[0-9A-Za-z._]+-e[0-9]+\.(?:xml|bin)")

_WARNED_LOCK = threading.Lock()
_WARNED: set[Path] = set()  # cache folders already said to be unwritable in this process
_SHARED: Any = None  # a flag the processes of one scan share (share_warning), or None
_SWEPT: set[Path] = set()  # cache folders whose old pairs this process has removed


def share_warning(flag: Any) -> None:
    """Say that the cache keeps no conversion once across the processes given ``flag`` (a
    ``multiprocessing`` ``Value("b")`` their parent made: a scan's worker processes, which share
    one cache folder), not once in each: ``scan --jobs 4`` printed the same line four times."""
    global _SHARED
    _SHARED = flag


def cache_dir() -> Path:
    """``$FORENSIC_VIEWER_CACHE``, else the per-user cache folder
    (:func:`engine.environ.user_cache_dir`: ``$XDG_CACHE_HOME``, else ``%LOCALAPPDATA%``, else
    ``~/.cache``, then ``forensic-viewer``)."""
    return path_setting("FORENSIC_VIEWER_CACHE") or user_cache_dir()


def one_line(e: BaseException) -> str:
    """An exception's text on one line (OpenVINO's span several, with source locations)."""
    return " ".join(str(e).split()) or type(e).__name__


def _unwritable(folder: Path, reason: str) -> None:
    """Say once per process that ``folder`` keeps no conversion, and why."""
    with _WARNED_LOCK:
        if folder in _WARNED:
            return
        _WARNED.add(folder)
    if _SHARED is not None:
        with _SHARED.get_lock():
            if _SHARED.value:
                return  # another process of the scan said it
            _SHARED.value = 1
    log.warning(
        "%s: OpenVINO conversions are not cached (%s); the networks are converted in memory, "
        "again at each start",
        folder,
        reason,
    )


def openvino_folder(folder: Path | None = None) -> Path | None:
    """``openvino/`` in ``folder`` (None: :func:`cache_dir`), made when missing; None when it
    cannot be made (one warning per folder and process)."""
    path = (folder or cache_dir()) / "openvino"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        in_the_way = file_above(path)
        why = f"{in_the_way} is a file" if in_the_way else e.strerror or one_line(e)
        _unwritable(path, f"it cannot be made: {why}")
        return None
    with _WARNED_LOCK:
        swept = path in _SWEPT
        _SWEPT.add(path)
    if not swept:
        remove_old_pairs(path)
    return path


def remove_old_pairs(folder: Path) -> int:
    """Remove the conversions of the layout before this one from ``folder`` (``openvino/`` of
    the cache), which nothing reads any more; the number removed. Only regular files of that
    folder itself whose whole name is :data:`OLD_PAIR`'s: never a link, a folder, a file in a
    subfolder or one named otherwise (a user's own ``notes.xml``, an ``.ovcache``). A file
    that cannot be removed (a read-only cache, a shared one) is left, without a word: the
    conversions run all the same."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    removed = 0
    for entry in entries:
        try:
            if OLD_PAIR.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
                removed += 1
        except OSError:
            continue
    if removed:
        log.info("%s: %d file(s) of the former OpenVINO cache layout removed", folder, removed)
    return removed


def _differences(got: Any, want: Mapping[str, Any]) -> str:
    """What of the key ``got`` differs from ``want``, in words."""
    if not isinstance(got, dict):
        return "it holds no key"
    return ", ".join(
        f"{k} {json.dumps(got.get(k))} where {json.dumps(v)} is wanted"
        for k, v in want.items()
        if got.get(k) != v
    )


def _digest(*parts: bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part)
    return h.hexdigest()


def _parts(f: BinaryIO, key: Mapping[str, Any]) -> tuple[bytes, bytes] | str:
    """The XML and weights of the open cache file ``f`` made for ``key``, or what is wrong."""
    header = f.readline(HEADER_LIMIT)
    try:
        head = json.loads(header)
        sizes = int(head["xml_bytes"]), int(head["bin_bytes"])
    except (ValueError, TypeError, KeyError):
        head = None
    if head is None or head.get("format") != FORMAT or not header.endswith(b"\n"):
        return "does not start with the cache's header (damaged, or not one)"
    if head.get("key") != dict(key):
        return f"was made for another model: {_differences(head.get('key'), key)}"
    xml, weights = f.read(sizes[0]), f.read(sizes[1])
    if len(xml) != sizes[0] or len(weights) != sizes[1] or f.read(1):
        return "is not the size its header says (cut short, or damaged)"
    if _digest(xml, weights) != head.get("sha256"):
        return "does not match its SHA-256 (damaged)"
    return xml, weights


def read_conversion(path: Path, key: Mapping[str, Any]) -> tuple[bytes, bytes] | None:
    """The XML and weights of the conversion cached at ``path`` for ``key``; None when there is
    none (silently) or it is not one to use (one warning naming the file and why: it is then
    converted again). Read through :func:`engine.files.open_regular`: a named pipe there is
    refused, never waited on. Killed writes' leftovers are removed first
    (:func:`remove_leftovers`)."""
    remove_leftovers(path)
    try:
        with open_regular(path) as f:
            got = _parts(f, key)
    except FileNotFoundError:
        return None
    except OSError as e:
        got = f"cannot be read: {not_regular_reason(e) or e.strerror or one_line(e)}"
    if isinstance(got, str):
        log.warning("%s: the cached OpenVINO conversion %s; converting it again", path, got)
        return None
    return got


def remove_leftovers(path: Path, age: float = LEFTOVER_SECONDS) -> None:
    """Remove what writes of ``path`` killed before their end left in its folder (the folder
    ``mkdtemp`` made, ``NAME.~<8 hex>.tmp``) when older than ``age`` seconds: a write cleans up
    after itself on any error or signal it can catch, but not after SIGKILL or a power cut, and
    a conversion's leftovers (the size of its weights each) would otherwise fill the cache of
    a lab whose scans are killed. A younger one may be another process's write in progress."""
    now = time.time()
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return
    for entry in entries:
        name = entry.name
        ours = name.startswith(f".{path.stem}.") or (
            name.startswith(f"{path.name}.~") and name.endswith(TEMP_SUFFIX)
        )
        try:
            if not ours or now - entry.stat(follow_symlinks=False).st_mtime < age:
                continue
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            elif entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
        except OSError:
            continue  # removed meanwhile by another process, or not ours to remove


def save_conversion(ov_model: object, path: Path, key: Mapping[str, Any]) -> bool:
    """Cache ``ov_model`` (an ``openvino.Model``) at ``path`` for ``key``; False (one warning
    per folder and process) when it cannot be written.

    OpenVINO writes by name, so it saves into a folder made for this write (``mkdtemp``: a
    folder only this process can enter, never a name in the shared cache folder, where a named
    pipe put there would make the write wait forever); the bytes it wrote are then written as
    one file by :class:`engine.files.AtomicFile`."""
    import openvino as ov

    try:
        work = Path(tempfile.mkdtemp(prefix=f".{path.stem}.", dir=path.parent))
    except OSError as e:
        _unwritable(path.parent, e.strerror or one_line(e))
        return False
    try:
        tmp = work / "model.xml"
        ov.save_model(ov_model, str(tmp), compress_to_fp16=False)
        xml, weights = tmp.read_bytes(), tmp.with_suffix(".bin").read_bytes()
        head = {
            "format": FORMAT,
            "key": dict(key),
            "xml_bytes": len(xml),
            "bin_bytes": len(weights),
            "sha256": _digest(xml, weights),
        }
        with AtomicFile(path, "wb") as out:
            assert out.file is not None
            for part in (json.dumps(head, sort_keys=True).encode("ascii") + b"\n", xml, weights):
                out.file.write(part)
    except (OSError, RuntimeError) as e:  # OpenVINO says a failed write as a RuntimeError
        reason = e.strerror if isinstance(e, OSError) and e.strerror else one_line(e)
        _unwritable(path.parent, reason)
        return False
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return True

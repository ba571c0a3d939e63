"""Reports of large scans: a synthetic scan folder of N files, then each report format's time,
peak memory and size (docs/BENCHMARKS.md, "A folder of 10,000 files").

    python -m bench.report_scale make --seed SCAN --n 2000 --out /tmp/scan2000
    python -m bench.report_scale report /tmp/scan2000 --formats pdf    # one format a process

``make`` replicates the rows of a real scan (``SEED``: e.g. ``forensic-viewer scan`` of 20 small
images) under new names: each evidence file a copy of its seed's with a comment of its own (a
JPEG COM segment, a PNG tEXt chunk, so each has its own SHA-256 and still decodes), its maps and
thumbnail copied under the new name, so a report reads the folder as it reads a real one and
re-verifies every file's hash. ``report`` writes the report as ``--report`` does and prints
seconds, peak RSS and the files' sizes as one JSON line, with the seconds until the first
file's section was written and how the resident memory grew from then to the last file's
(kB a file: what a report of more files would add).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import shutil
import struct
import sys
import time
import zlib
from pathlib import Path
from typing import Any


def tagged(data: bytes, tag: bytes) -> bytes:
    """``data`` (a JPEG or PNG file) with ``tag`` inside as a comment: other bytes, the same
    pixels."""
    if data[:2] == b"\xff\xd8":
        return data[:2] + b"\xff\xfe" + struct.pack(">H", len(tag) + 2) + tag + data[2:]
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        end = 8 + 4 + 4 + 13 + 4  # signature, IHDR
        body = b"tEXt" + b"Comment\x00" + tag
        chunk = struct.pack(">I", len(body) - 4) + body + struct.pack(">I", zlib.crc32(body))
        return data[:end] + chunk + data[end:]
    raise ValueError("a seed evidence file is neither JPEG nor PNG")


def _renamed(name: str, old: str, new: str) -> str:
    return name.replace(old, new, 1)


def make(seed: Path, n: int, out: Path) -> None:
    """``out``: a scan folder of ``n`` rows made from ``seed``'s rows (see the module doc)."""
    rows = [json.loads(line) for line in (seed / "results.jsonl").read_text().splitlines()]
    rows = [r for r in rows if r.get("status") == "ok"]
    out.mkdir(parents=True)
    for sub in ("maps", "thumbs", "evidence"):
        (out / sub).mkdir()
    shutil.copy(seed / "scan.json", out / "scan.json")
    with (out / "results.jsonl").open("w", encoding="utf-8") as f:
        for i in range(n):
            row = json.loads(json.dumps(rows[i % len(rows)]))
            old = row["path"]
            key = f"d{i // 100:03d}/f{i:05d}{Path(old).suffix}"
            data = tagged(Path(row["file"]).read_bytes(), f"copy {i}".encode())
            evidence = out / "evidence" / key
            evidence.parent.mkdir(exist_ok=True)
            evidence.write_bytes(data)
            sha = hashlib.sha256(data).hexdigest()
            flat = key.replace("/", "_")
            row.update(path=key, file=str(evidence), sha256=sha)
            ev = row["evidence"]
            ev.update(path=str(evidence), real_path=str(evidence), sha256=sha, file_size=len(data))
            for m in row.get("models", {}).values():
                if m.get("heatmap"):
                    new = _renamed(m["heatmap"], old, flat)
                    shutil.copy(seed / m["heatmap"], out / new)
                    m["heatmap"] = new
            if row.get("thumbnail"):
                new = _renamed(row["thumbnail"], old, flat)
                shutil.copy(seed / row["thumbnail"], out / new)
                row["thumbnail"] = new
            f.write(json.dumps(row) + "\n")


def resident_mb() -> float:
    """This process's resident memory now (Linux)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 2**20


def report(scan: Path, formats: str) -> dict[str, Any]:
    """Write ``scan``'s report in ``formats``; seconds, peak RSS (MB) and sizes (bytes), the
    seconds to the first file's section and the growth of RSS over the files' sections."""
    from forensic_viewer.report import parse_formats, scan_source, write_report

    asked = parse_formats(formats)
    fmts = [f for f in asked if f in formats.split(",")]
    dest = scan / f"report-{'-'.join(fmts)}"
    seen: dict[int, tuple[float, float]] = {}  # file number: seconds, RSS (MB)

    def progress(p: Any) -> None:
        if p.stage == "writing report" and p.done in (1, p.total):
            seen.setdefault(p.done, (time.perf_counter() - t0, resident_mb()))

    t0 = time.perf_counter()
    written = write_report(scan_source(scan), dest, fmts, progress=progress)
    seconds = time.perf_counter() - t0
    first, last = seen[1], seen[max(seen)]
    growth = (last[1] - first[1]) * 1024 / max(1, max(seen) - 1)
    sizes = {}
    for f, p in written.items():
        sizes[f] = p.stat().st_size
        folder = p.with_name(p.stem + "_files")
        if folder.is_dir():
            sizes[f + "_files"] = sum(x.stat().st_size for x in folder.iterdir())
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "formats": fmts,
        "seconds": round(seconds, 1),
        "first_file_s": round(first[0], 1),
        "peak_rss_mb": round(rss),
        "rss_growth_kb_per_file": round(growth, 1),
        **sizes,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.report_scale")
    sub = ap.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("make")
    m.add_argument("--seed", type=Path, required=True)
    m.add_argument("--n", type=int, required=True)
    m.add_argument("--out", type=Path, required=True)
    r = sub.add_parser("report")
    r.add_argument("scan", type=Path)
    r.add_argument("--formats", default="pdf")
    args = ap.parse_args(argv)
    if args.cmd == "make":
        make(args.seed, args.n, args.out)
    else:
        print(json.dumps(report(args.scan, args.formats)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

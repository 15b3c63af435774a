"""Benchmark `intake`: upload many small files through the real CLI; all stored once?"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw


def _png(n: int) -> bytes:
    image = Image.new("L", (320, 120), 255)
    ImageDraw.Draw(image).text((10, 50), f"Synthetic fax page {n:04d}", fill=0)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _make_files(folder: Path, distinct: int, duplicates: int) -> None:
    for n in range(distinct):
        (folder / f"page-{n:04d}.png").write_bytes(_png(n))
    for n in range(duplicates):  # the same bytes under another name
        (folder / f"copy-of-{n:04d}.png").write_bytes(_png(n))


def _cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("caredesk")
    env = {**os.environ, "CAREDESK_DATA_DIR": str(data_dir), "CAREDESK_LOG_FORMAT": "console"}
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=env, check=True)


def run(size: str) -> dict[str, Any]:
    distinct, duplicates = (45, 5) if size == "small" else (180, 20)
    with tempfile.TemporaryDirectory() as tmp:
        folder, data_dir = Path(tmp) / "inbox", Path(tmp) / "data"
        folder.mkdir()
        _make_files(folder, distinct, duplicates)
        _cli(data_dir, "db", "upgrade")
        started = time.perf_counter()
        summary = json.loads(_cli(data_dir, "ingest", str(folder), "--json").stdout)
        upload_s = time.perf_counter() - started
        again = json.loads(_cli(data_dir, "ingest", str(folder), "--json").stdout)
        root = data_dir / "blobs"
        blobs = [
            p for p in root.rglob("*") if p.is_file() and p.relative_to(root).parts[0] != "tmp"
        ]
    counts, total = summary["counts"], distinct + duplicates
    stored_once = len(blobs) == distinct and counts.get("new", 0) == distinct
    markdown = (
        f"{total} PNG files ({distinct} distinct, {duplicates} byte-identical copies) uploaded "
        "with `caredesk ingest FOLDER --json` into a fresh data directory, then uploaded "
        "again.\n\n"
        "| measure | value |\n|---|---:|\n"
        f"| files | {total} |\n| wall time (CLI process incl. start-up) | {upload_s:.2f} s |\n"
        f"| files/s | {total / upload_s:.1f} |\n| new documents | {counts.get('new', 0)} |\n"
        f"| duplicates detected | {counts.get('duplicate', 0)} |\n"
        f"| rejected | {counts.get('rejected', 0)} |\n| blobs on disk | {len(blobs)} |\n"
        f"| second upload: duplicates | {again['counts'].get('duplicate', 0)} of {total} |\n"
    )
    return {
        "metrics": {
            "files_per_s": total / upload_s,
            "stored_once": float(stored_once),
            "duplicates_detected": float(counts.get("duplicate", 0)),
            "reupload_all_duplicates": float(again["counts"].get("duplicate", 0) == total),
        },
        "markdown": markdown,
    }

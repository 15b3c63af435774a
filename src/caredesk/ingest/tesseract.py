"""Tesseract through its C++ API (tesserocr): one engine per process, loaded once.

The `tesseract` command line starts a process and loads its language model for every page,
which costs about a third of a fax page's OCR time; an OCR worker here keeps one loaded engine
for words and one for orientation detection and hands them images in memory.
The language data comes from the system's tesseract packages (`tesseract-ocr-eng`, `-osd`).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import threading
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import tesserocr
from PIL import Image
from tesserocr import PSM, PyTessBaseAPI

from caredesk.domain.documents import BoundingBox, OcrWord

_LOCAL = threading.local()
_TESSDATA_GLOBS = (
    ("/usr/share/tesseract-ocr", "*/tessdata"),
    ("/usr/share", "tessdata"),
    ("/usr/local/share", "tessdata"),
    ("/opt/homebrew/share", "tessdata"),
)
MIN_OSD_CONFIDENCE = 2.0
_OSD_DPI = 150
_LEPTONICA_SEVERITY_NONE = 6


class OcrError(RuntimeError):
    """Tesseract could not read the page (timed out, or refused the image)."""


def find_tessdata(candidates: Iterable[str | Path]) -> Path | None:
    """The first folder among `candidates` that holds `eng.traineddata`."""
    for folder in candidates:
        if (Path(folder) / "eng.traineddata").is_file():
            return Path(folder)
    return None


def missing_language_data(folder: Path | None) -> str | None:
    """Why OCR cannot run from `folder`, or None when English and orientation data are there."""
    if folder is None:
        return "tesseract language data (eng.traineddata) not found; install tesseract-ocr-eng"
    if not (folder / "osd.traineddata").is_file():
        return f"osd.traineddata missing in {folder}; install tesseract-ocr-osd"
    return None


@cache
def tessdata_dir() -> Path | None:
    """`TESSDATA_PREFIX` when set, else the usual system locations (newest version first)."""
    prefix = os.environ.get("TESSDATA_PREFIX")
    candidates: list[str | Path] = [prefix] if prefix else []
    for root, pattern in _TESSDATA_GLOBS:
        candidates += sorted(Path(root).glob(pattern), reverse=True)
    return find_tessdata(candidates)


def _quiet_leptonica() -> None:
    """Leptonica, inside tesseract's layout analysis, prints complaints such as "Error in
    boxClipToRectangle" to stderr when a region touches the page edge; the page still reads
    and nothing here can act on them, so they would only bury real messages in the worker's
    log. Its message threshold is raised to "none" in the copy the tesserocr wheel bundles."""
    folder = Path(tesserocr.__file__).resolve().parent.parent / "tesserocr.libs"
    for library in folder.glob("libleptonica*.so*"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(str(library)).setMsgSeverity(_LEPTONICA_SEVERITY_NONE)


def _engine(kind: str) -> PyTessBaseAPI:
    """This thread's engine of `kind`: "eng" for a page's words, "line" for one line of
    them, "osd" for orientation."""
    engine: PyTessBaseAPI | None = getattr(_LOCAL, kind, None)
    if engine is None:
        folder = tessdata_dir()
        problem = missing_language_data(folder)
        if folder is None or problem is not None:
            raise OcrError(f"OCR cannot run: {problem}")
        _quiet_leptonica()
        psm = {"eng": PSM.AUTO, "line": PSM.SINGLE_LINE, "osd": PSM.OSD_ONLY}[kind]
        lang = "osd" if kind == "osd" else "eng"
        engine = PyTessBaseAPI(path=f"{folder}{os.sep}", lang=lang, psm=psm)
        # Tesseract reads every line it doubts a second time as white on black. The forms we
        # read print dark on light, and on a poor fax most lines are doubted: with this off a
        # degraded page reads ~15% faster, at 3 fewer correct fields of the eval's 1264 fax
        # fields (F1 0.8759 -> 0.8744 under the earlier faint gate).
        engine.SetVariable("tessedit_do_invert", "0")
        # Tesseract drops a row of text its layout analysis takes for noise: on a clean 150 dpi
        # invoice that was the letterhead's name and the title, large type beside a dark logo
        # box. Kept, the eval reads one more field on clean pages and one on faxes (clean F1
        # 0.9975 -> 0.9983, fax 0.8842 -> 0.8846), with no new wrong value.
        engine.SetVariable("textord_noise_rejrows", "0")
        setattr(_LOCAL, kind, engine)
    return engine


def read_words(image: Image.Image, dpi: int, timeout_s: float) -> list[OcrWord]:
    """Words with box, confidence, line and block (page segmentation 3, fully automatic)."""
    return _read(_engine("eng"), image, dpi, timeout_s)


def read_line(image: Image.Image, dpi: int, timeout_s: float) -> list[OcrWord]:
    """The words of an image that holds one line of text (page segmentation 7)."""
    return _read(_engine("line"), image, dpi, timeout_s)


def _read(engine: PyTessBaseAPI, image: Image.Image, dpi: int, timeout_s: float) -> list[OcrWord]:
    pixels = _set_image(engine, image, dpi)
    if not engine.Recognize(timeout=max(1, round(timeout_s * 1000))):
        engine.Clear()
        raise OcrError(f"OCR took longer than {timeout_s:g} s")
    table = engine.GetTSVText(0)
    engine.Clear()
    del pixels  # tesseract reads the buffer in place until Clear()
    return _words_from_tsv(table, image.width, image.height)


def _set_image(engine: PyTessBaseAPI, image: Image.Image, dpi: int) -> bytes | None:
    """Hand tesseract the raw pixels of a 1-bit or grey image (no encoding round trip);
    returns the buffer, which must outlive the recognition."""
    pixels: bytes | None = None
    if image.mode in ("1", "L"):
        pixels = image.tobytes()
        # Tesseract's packed 1-bit layout is PIL's: MSB first, rows padded to bytes, 1 = white.
        depth, row = (0, (image.width + 7) // 8) if image.mode == "1" else (1, image.width)
        engine.SetImageBytes(pixels, image.width, image.height, depth, row)
    else:
        engine.SetImage(image)
    engine.SetSourceResolution(dpi)
    return pixels


def _words_from_tsv(table: str, width: int, height: int) -> list[OcrWord]:
    # TSV columns: level page block par line word left top width height conf text
    lines: dict[tuple[int, int, int], int] = {}
    words: list[OcrWord] = []
    for row in (line.split("\t") for line in table.splitlines()):
        if len(row) < 12 or row[0] != "5" or not row[11].strip() or float(row[10]) < 0:
            continue
        key = (int(row[2]), int(row[3]), int(row[4]))
        left, top = float(row[6]), float(row[7])
        bbox = BoundingBox(
            x0=left,
            y0=top,
            x1=left + float(row[8]),
            y1=top + float(row[9]),
            page_width=width,
            page_height=height,
        )
        words.append(
            OcrWord(
                text=row[11].strip(),
                bbox=bbox,
                confidence=float(row[10]),
                line=lines.setdefault(key, len(lines)),
                block=key[0],
            )
        )
    return words


def upright_rotation(image: Image.Image, dpi: int) -> int:
    """Clockwise degrees (0/90/180/270) that turn the page upright; 0 when OSD is unsure
    or finds too few characters to judge."""
    engine = _engine("osd")
    if dpi >= 2 * _OSD_DPI:
        # OSD judges letter shapes; at half of 300 dpi it gives the same answers (48 turned
        # test pages) in three quarters of the time.
        factor = dpi // _OSD_DPI
        image, dpi = image.convert("L").reduce(factor), dpi // factor
    pixels = _set_image(engine, image, dpi)
    found = engine.DetectOrientationScript()
    engine.Clear()
    del pixels
    if not found or float(found.get("orient_conf", 0.0)) < MIN_OSD_CONFIDENCE:
        return 0
    # OSD reports how far the page is turned clockwise; undoing it is the opposite turn.
    return (360 - int(found.get("orient_deg", 0))) % 360

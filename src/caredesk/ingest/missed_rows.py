"""Rows of print the page reading skipped, read again one line at a time.

Tesseract's layout analysis sometimes drops a whole row: a fax streak through a line of text
made "Member Name  Samplesworth, Lance" arrive as the caption alone on a page otherwise read
at 93. The ink is still on the page, and no word covers it. This finds that ink (letter-sized
marks no word box holds, in a row of several), and reads each such run as a single line.
Only on pages that read fairly well: on a page tesseract could barely read, what it skipped
is mostly noise, and reading it again makes up words.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

import cv2
import numpy as np
from PIL import Image

from caredesk.domain.documents import BoundingBox, OcrWord
from caredesk.ingest.tesseract import OcrError, read_line

# Only pages whose first reading averages this or more are searched.
MIN_PAGE_CONFIDENCE = 50.0
# A word read again is kept only from this confidence: a guess is worse than a gap.
MIN_WORD_CONFIDENCE = 75.0
# A letter, as a share of the page's median word height: specks are smaller, rules wider,
# and large type (a letterhead, a title) taller; neither is what a dropped row is made of.
_LETTER_HEIGHT = (0.3, 1.15)
_LETTER_MAX_WIDTH = 2.5
_LETTER_MIN_AREA = 0.05
# Letters this far apart (in word heights) belong to different runs; a run needs this many
# letters and this width to be worth a reading.
_RUN_GAP = 2.5
_RUN_MIN_LETTERS = 3
_RUN_MIN_WIDTH = 2.0
# Margins around a run when it is cut out, in word heights; at most this many runs a page.
_PAD_X, _PAD_Y = 0.8, 0.4
_MAX_RUNS = 15


@dataclass(frozen=True)
class _Run:
    x0: int
    y0: int
    x1: int
    y1: int


def reread_missed_rows(
    image: Image.Image, dpi: int, words: Sequence[OcrWord], timeout_s: float
) -> list[OcrWord]:
    """Words read from the runs of letters on `image` that none of `words` covers."""
    sized = [w.bbox.y1 - w.bbox.y0 for w in words if sum(ch.isalnum() for ch in w.text) >= 3]
    if len(sized) < 5:
        return []
    height = median(sized)
    ink = np.asarray(image.convert("L")) < 128
    uncovered = _without_words(ink, words, height)
    found: list[OcrWord] = []
    # Each run is a line and a block of its own, numbered after the page's.
    line = max((w.line for w in words), default=0) + 1
    block = max((w.block for w in words), default=0) + 1
    deadline = time.monotonic() + timeout_s  # all the runs of a page share one page's time
    for number, run in enumerate(_runs(uncovered, height)[:_MAX_RUNS]):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        x0, y0 = max(0, run.x0 - round(_PAD_X * height)), max(0, run.y0 - round(_PAD_Y * height))
        x1 = min(ink.shape[1], run.x1 + round(_PAD_X * height))
        y1 = min(ink.shape[0], run.y1 + round(_PAD_Y * height))
        # Only the uncovered ink is read: a caption beside the run stays out of it.
        cut = Image.fromarray(np.where(uncovered[y0:y1, x0:x1], 0, 255).astype(np.uint8))
        try:
            read = read_line(cut, dpi, left)
        except OcrError:
            break  # out of time: the page keeps what its first reading and the runs gave
        for word in read:
            if word.confidence >= MIN_WORD_CONFIDENCE and any(ch.isalnum() for ch in word.text):
                found.append(_placed(word, x0, y0, image, line + number, block + number))
    return found


def _without_words(ink: np.ndarray, words: Sequence[OcrWord], height: float) -> np.ndarray:
    """The ink outside every word's box (each box grown a little: OCR boxes hug the ink)."""
    left = ink.copy()
    pad = 0.15 * height
    rows, columns = ink.shape
    for word in words:
        box = word.bbox
        top, bottom = max(0, int(box.y0 - pad)), min(rows, int(box.y1 + pad) + 1)
        start, end = max(0, int(box.x0 - pad)), min(columns, int(box.x1 + pad) + 1)
        left[top:bottom, start:end] = False
    return left


def _runs(uncovered: np.ndarray, height: float) -> list[_Run]:
    """Runs of letter-sized marks on one line, top to bottom."""
    count, _, stats, _ = cv2.connectedComponentsWithStats(
        uncovered.astype(np.uint8), connectivity=8
    )
    low, high = (share * height for share in _LETTER_HEIGHT)
    letters = sorted(
        (y + h / 2, x, y, x + w, y + h)
        for x, y, w, h, area in stats[1:count].tolist()
        if low <= h <= high
        and w <= _LETTER_MAX_WIDTH * height
        and area >= _LETTER_MIN_AREA * height * height
    )
    lines: list[list[tuple[float, int, int, int, int]]] = []
    for letter in letters:
        if lines and abs(letter[0] - median(m[0] for m in lines[-1])) <= 0.5 * height:
            lines[-1].append(letter)
        else:
            lines.append([letter])
    runs = []
    for line in lines:
        line.sort(key=lambda m: m[1])
        current = [line[0]]
        for letter in line[1:]:
            if letter[1] - max(m[3] for m in current) > _RUN_GAP * height:
                runs.append(current)
                current = [letter]
            else:
                current.append(letter)
        runs.append(current)
    return [
        _Run(
            min(m[1] for m in run),
            min(m[2] for m in run),
            max(m[3] for m in run),
            max(m[4] for m in run),
        )
        for run in runs
        if len(run) >= _RUN_MIN_LETTERS
        and max(m[3] for m in run) - min(m[1] for m in run) >= _RUN_MIN_WIDTH * height
    ]


def _placed(word: OcrWord, x0: int, y0: int, page: Image.Image, line: int, block: int) -> OcrWord:
    box = word.bbox
    return word.model_copy(
        update={
            "line": line,
            "block": block,
            "bbox": BoundingBox(
                x0=box.x0 + x0,
                y0=box.y0 + y0,
                x1=box.x1 + x0,
                y1=box.y1 + y0,
                page_width=page.width,
                page_height=page.height,
            ),
        }
    )

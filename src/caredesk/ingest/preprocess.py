"""Clean a scanned page for OCR: upscale, binarize, remove specks, deskew, turn upright."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

Pixels = NDArray[np.uint8]

_SKEW_SAMPLE_WIDTH = 800
_MIN_SKEW_TO_FIX = 0.3
# Fewer letter pixels than this (a page of drawings, a few big words): use all the ink.
_MIN_LETTER_INK = 2000
# Reading a faint fax (see `prepare(faint=True)`), in inches so they hold at any dpi:
# how far each surviving dot's ink is spread, and the neighbourhood (about a letter) whose
# densest stroke sets what counts as full black.
_FAINT_SPREAD_IN = 0.0049
_FAINT_NEIGHBOURHOOD_IN = 0.075
# Stroke density (share of black pixels nearby) drawn as full black at the least, and under
# which a pixel is paper: a lone speck keeps only its centre pixel (0.15), which speck removal
# then takes, while a stroke that kept a third of its dots stays joined.
_FAINT_FULL = 0.3
_FAINT_FLOOR = 0.12
# Share of the densest stroke nearby that is drawn as full black: a pale caption beside a
# bold value is drawn as dark as the value when its dots are half as dense.
_FAINT_OF_DENSEST = 0.5


@dataclass(frozen=True)
class PreprocessOptions:
    """Each step can be switched on or off; the extraction eval measures what each one buys.

    Fax pages (204 dpi) are read at their own resolution, not upscaled to 300 dpi, and in
    grey: tesseract thresholds the cleaned grey page itself and its line recognizer reads
    strokes only two pixels wide better in grey than thresholded. That reads fax pages as
    well as the 300 dpi 1-bit page did (fax F1 0.814 vs 0.818 on the 121 fax documents of the
    eval) for 40% less CPU. Pages at `grey_below_dpi` or more (300 dpi scans and renderings
    of scanned PDFs), whose strokes are thick enough, are binarized; pages under `min_dpi`
    (low-resolution scans and photos) are upscaled to it.

    `faint_ink`: a grey-read page whose letters arrived as dots (see `dotted_share`) is read
    with its strokes rebuilt from them (see `prepare(faint=True)`); one in doubt is read both
    ways when the first reading is poor, and the reading with more sure words is kept.

    `missed_rows`: runs of letters that no word of the reading covers (a row tesseract's
    layout analysis dropped) are read again, one line at a time (see ingest/missed_rows.py).
    """

    orientation: bool = True
    deskew: bool = True
    despeckle: bool = True
    binarize: bool = True
    grey_below_dpi: int = 250
    min_dpi: int = 200
    max_skew: float = 15.0
    smooth: float = 1.0
    checkboxes: bool = True
    leaders: bool = True
    faint_ink: bool = True
    missed_rows: bool = True

    def without(self, step: str) -> PreprocessOptions:
        """The same options with one step off (`orientation`, `deskew`, ...), for ablations."""
        if step == "upscale":
            return replace(self, min_dpi=0)
        if step == "smooth":
            return replace(self, smooth=0.0)
        if step == "leaders":
            return replace(self, leaders=False)
        return replace(self, **{step: False})


@dataclass(frozen=True)
class PreparedPage:
    """The image OCR will read, at `dpi`, with the skew that was corrected (degrees)."""

    image: Image.Image
    dpi: int
    skew: float
    bilevel: bool = False  # only black and white pixels

    def for_tesseract(self) -> Image.Image:
        """The image as tesseract should get it: a bilevel page as a 1-bit image, which
        tesseract reads (and OSD judges) about a tenth faster than the same pixels in 8 bits,
        with the same words, boxes and confidences."""
        return self.image.convert("1", dither=Image.Dither.NONE) if self.bilevel else self.image

    def turned(self, rotation: int) -> PreparedPage:
        """The same cleaned page turned upright (clockwise degrees, a multiple of 90): a
        quarter or half turn keeps deskewed lines level, so nothing is prepared again."""
        return replace(self, image=turn_upright(self.image, rotation))


def prepare(
    image: Image.Image, dpi: int, options: PreprocessOptions, *, faint: bool = False
) -> PreparedPage:
    """Apply the enabled steps in order; orientation is decided later, only when OCR doubts it.

    `faint`: the page is a fax whose ink was so pale that the machine's threshold kept only
    some pixels of each stroke, so letters arrive as dots (light-grey captions worst). Each
    pixel then becomes the density of black around it, stretched against the densest stroke
    nearby, which joins the dots into strokes again and draws pale captions as dark as bold
    values. Pages that are binarized (250 dpi and over) are prepared as usual.
    """
    grey = np.asarray(image.convert("L"), dtype=np.uint8)
    grey, dpi = _upscale(grey, dpi, options.min_dpi)
    bilevel = options.binarize and dpi >= options.grey_below_dpi
    faint = faint and not bilevel
    if faint:
        grey = _strokes_from_dots(grey, dpi)
    elif options.smooth > 0:
        grey = np.asarray(
            cv2.GaussianBlur(grey, (0, 0), sigmaX=options.smooth * dpi / 300), np.uint8
        )
    ink = _ink_mask(grey)
    letters: Pixels | None = None
    if options.despeckle or options.leaders or options.deskew:
        blobs = Blobs.of(ink)
        drop = blobs.specks(
            max_area=_speck_area(dpi) if options.despeckle else 0,
            leader_dot=round(0.035 * dpi) if options.leaders else 0,
        )
        ink = blobs.mask(~drop) if drop.any() else ink
        letters = blobs.mask(~drop & blobs.letter_shaped(dpi)) if options.deskew else None
        if faint and drop.any():  # only the specks go: Otsu's mask would drop pale strokes
            grey = np.maximum(grey, blobs.mask(drop) * 255).astype(np.uint8)
        elif not bilevel and not faint:
            grey = np.maximum(grey, (1 - ink) * 255).astype(np.uint8)
    page: Pixels = np.asarray(cv2.bitwise_not(ink * 255), dtype=np.uint8) if bilevel else grey
    skew = estimate_skew(ink, options.max_skew, dpi=dpi, letters=letters) if options.deskew else 0.0
    if abs(skew) >= _MIN_SKEW_TO_FIX:
        page = rotate_pixels(page, skew, nearest=bilevel)
    else:
        skew = 0.0
    return PreparedPage(image=Image.fromarray(page), dpi=dpi, skew=skew, bilevel=bilevel)


def dotted_share(image: Image.Image) -> float:
    """Share of the page's ink in pixels with at most one black neighbour: 0.01–0.1 on a fax
    that kept its ink (speckles, ragged edges), 0.3–0.7 when a faint transmission left its
    letters as scattered dots."""
    grey = np.asarray(image.convert("L"), dtype=np.uint8)
    _, ink = cv2.threshold(grey, 127, 1, cv2.THRESH_BINARY_INV)
    total = cv2.countNonZero(ink)
    if not total:
        return 0.0
    # Each pixel's 3×3 neighbourhood count, itself included: a lone or paired ink pixel has 2.
    counts = cv2.boxFilter(ink, -1, (3, 3), normalize=False, borderType=cv2.BORDER_CONSTANT)
    lonely = cv2.bitwise_and(ink, (counts <= 2).view(np.uint8))
    return cv2.countNonZero(lonely) / total


def _strokes_from_dots(grey: Pixels, dpi: int) -> Pixels:
    """A faint fax page redrawn from the density of its black dots (see `prepare`)."""
    dots = (grey < 128).astype(np.float32)
    density = cv2.GaussianBlur(dots, (0, 0), sigmaX=_FAINT_SPREAD_IN * dpi)
    side = max(3, round(_FAINT_NEIGHBOURHOOD_IN * dpi) | 1)
    densest = cv2.dilate(density, np.ones((side, side), np.uint8))
    full = np.maximum(_FAINT_OF_DENSEST * densest, _FAINT_FULL)
    tone = 255 - np.clip(density / full, 0, 1) * 255
    tone[density < _FAINT_FLOOR] = 255
    return np.asarray(tone, dtype=np.uint8)


def turn_upright(image: Image.Image, rotation: int) -> Image.Image:
    """Undo a 90/180/270° rotation reported by orientation detection (clockwise degrees)."""
    turns = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180}
    turns[270] = Image.Transpose.ROTATE_90
    return image.transpose(turns[rotation]) if rotation in turns else image


def _upscale(grey: Pixels, dpi: int, min_dpi: int) -> tuple[Pixels, int]:
    if min_dpi <= 0 or dpi <= 0 or dpi >= min_dpi * 0.95:
        return grey, dpi
    factor = min_dpi / dpi
    size = (round(grey.shape[1] * factor), round(grey.shape[0] * factor))
    return cv2.resize(grey, size, interpolation=cv2.INTER_CUBIC).astype(np.uint8), min_dpi


def _ink_mask(grey: Pixels) -> Pixels:
    """1 where there is ink, by Otsu's threshold (fax pages are bimodal, low contrast or not)."""
    _, mask = cv2.threshold(grey, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    return mask.astype(np.uint8)


def _speck_area(dpi: int) -> int:
    # A full stop at 8 pt is ~16 px at 300 dpi; fax noise is 1–4 px. Scale with density.
    return max(2, round(8 * (dpi / 300) ** 2))


@dataclass(frozen=True)
class Blobs:
    """The ink's connected components, found once and asked several questions."""

    labels: NDArray[np.integer[Any]]
    stats: NDArray[np.int32]
    centroids: NDArray[np.float64]

    @classmethod
    def of(cls, ink: Pixels) -> Blobs:
        # 16-bit labels are several times faster to make and to index than 32-bit ones,
        # and enough unless the page has over 65,535 blobs.
        try:
            found = cv2.connectedComponentsWithStats(ink, connectivity=8, ltype=cv2.CV_16U)
        except cv2.error:  # too many blobs for 16-bit labels (a page of noise)
            found = cv2.connectedComponentsWithStats(ink, connectivity=8)
        _, labels, stats, centroids = found
        return cls(
            labels=np.asarray(labels),
            stats=np.asarray(stats, dtype=np.int32),
            centroids=np.asarray(centroids, dtype=np.float64),
        )

    def mask(self, keep: NDArray[np.bool_]) -> Pixels:
        """1 on the pixels of the blobs marked in `keep` (the background never)."""
        chosen = keep.astype(np.uint8)
        chosen[0] = 0
        return np.asarray(chosen[self.labels], dtype=np.uint8)

    def specks(self, max_area: int, leader_dot: int = 0) -> NDArray[np.bool_]:
        """Blobs no larger than `max_area` pixels (fax noise, dust), and, when `leader_dot`
        is set, runs of evenly spaced dots no wider than that (leader lines between a caption
        and its value, which OCR reads as "eee" and which pull rows apart)."""
        drop = self.stats[:, cv2.CC_STAT_AREA] <= max_area
        if leader_dot:
            drop |= _leader_dots(self.stats, self.centroids, leader_dot)
        drop[0] = False
        return np.asarray(drop, dtype=bool)

    def letter_shaped(self, dpi: int) -> NDArray[np.bool_]:
        """Blobs shaped like letters or words: 0.04–0.4 inch tall, at most 0.6 inch wide.
        Specks, rules, box outlines and streaks are not."""
        height = self.stats[:, cv2.CC_STAT_HEIGHT]
        width = self.stats[:, cv2.CC_STAT_WIDTH]
        keep = (height >= 0.04 * dpi) & (height <= 0.4 * dpi) & (width <= 0.6 * dpi)
        keep[0] = False
        return np.asarray(keep, dtype=bool)


def remove_specks(ink: Pixels, max_area: int, leader_dot: int = 0) -> Pixels:
    """`ink` without its specks and leader dots (see `Blobs.specks`)."""
    blobs = Blobs.of(ink)
    drop = blobs.specks(max_area, leader_dot)
    return blobs.mask(~drop) if drop.any() else ink


def limit_threads() -> None:
    """One OpenCV thread per process: OCR workers already run one page per core."""
    cv2.setNumThreads(1)


def _leader_dots(
    stats: NDArray[np.int32], centroids: NDArray[np.float64], side: int
) -> NDArray[np.bool_]:
    """Components that are small dots standing in a row of at least six, evenly spaced."""
    small = (stats[:, cv2.CC_STAT_WIDTH] <= side) & (stats[:, cv2.CC_STAT_HEIGHT] <= side)
    small[0] = False
    found = np.zeros(len(stats), dtype=bool)
    index = np.flatnonzero(small)
    if len(index) < 6:
        return found
    xs, ys = centroids[index, 0], centroids[index, 1]
    for offset in (0.0, 0.5):  # two bucketings, so a run on a bucket edge is still seen
        rows = np.floor(ys / (2 * side) + offset).astype(np.int64)
        order = np.lexsort((xs, rows))
        gaps = np.diff(xs[order])
        link = (np.diff(rows[order]) == 0) & (gaps >= 0.8 * side) & (gaps <= 4 * side)
        found[index[order][_in_long_runs(link, 5)]] = True
    return found


def _in_long_runs(link: NDArray[np.bool_], min_links: int) -> NDArray[np.bool_]:
    """Members of chains of at least `min_links` consecutive links (n links join n+1 items)."""
    members = np.zeros(len(link) + 1, dtype=bool)
    padded = np.concatenate(([0], link.astype(np.int8), [0]))
    edges = np.diff(padded)
    for start, end in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
        if end - start >= min_links:
            members[start : end + 1] = True
    return members


def estimate_skew(
    ink: Pixels, max_angle: float, dpi: int = 300, letters: Pixels | None = None
) -> float:
    """Angle (degrees, counter-clockwise positive) that makes text lines horizontal.

    Projection profile: rotated the right way, ink collects in sharp rows, so the row
    histogram varies most. Only the ink points of a small sample are projected (no image
    rotation per angle): a coarse search over ±max_angle, then a fine one around the best.
    Only letter-sized blobs vote: a fax head's streak is a perfectly level line across a
    skewed page, and on a faint page it outweighs the text and pins the angle at zero.
    """
    if letters is None:
        blobs = Blobs.of(ink)
        letters = blobs.mask(blobs.letter_shaped(dpi))
    if int(letters.sum()) >= _MIN_LETTER_INK:
        ink = letters
    factor = min(1.0, _SKEW_SAMPLE_WIDTH / ink.shape[1])
    size = (max(1, round(ink.shape[1] * factor)), max(1, round(ink.shape[0] * factor)))
    sample = cv2.resize(ink.astype(np.float32), size, interpolation=cv2.INTER_AREA)
    ys, xs = np.nonzero(sample > 0.2)
    if len(ys) < 100:
        return 0.0
    weights = sample[ys, xs].astype(np.float64)
    points = (xs.astype(np.float64), ys.astype(np.float64), weights)
    coarse = _best_angle(points, np.arange(-max_angle, max_angle + 0.01, 0.5))
    fine = _best_angle(points, np.arange(coarse - 0.5, coarse + 0.51, 0.05))
    return round(float(fine), 2)


InkPoints = tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]


def _best_angle(points: InkPoints, angles: NDArray[np.float64]) -> float:
    scores = [_profile_sharpness(points, float(angle)) for angle in angles]
    return float(angles[int(np.argmax(scores))])


def _profile_sharpness(points: InkPoints, angle: float) -> float:
    xs, ys, weights = points
    radians = np.deg2rad(angle)
    # Row of each ink point after cv2's counter-clockwise rotation by `angle`.
    rows = ys * np.cos(radians) - xs * np.sin(radians)
    rows -= rows.min()
    histogram = np.bincount(rows.astype(np.int64), weights=weights)
    return float(np.square(np.diff(histogram)).sum())


def rotate_pixels(page: Pixels, angle: float, *, nearest: bool) -> Pixels:
    """Rotate by `angle` degrees counter-clockwise around the centre, filling with white."""
    height, width = page.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    flags = cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR
    rotated = cv2.warpAffine(page, matrix, (width, height), flags=flags, borderValue=255)
    return rotated.astype(np.uint8)


@dataclass(frozen=True)
class Checkbox:
    """A small square box on the page (pixels) and whether something is drawn inside it."""

    x0: int
    y0: int
    x1: int
    y1: int
    checked: bool
    clarity: float  # 0–1: how far the inside is from the "checked" threshold


def find_checkboxes(page: Image.Image, dpi: int) -> list[Checkbox]:
    """Square outlines 0.07–0.2 inch wide; ticked when their inside carries ink.

    OCR reads a ticked box as "[4", "LJ", "K" or nothing at all, so boxes are found by their
    shape instead and their state by the ink inside them.
    """
    ink = (np.asarray(page.convert("L")) < 128).astype(np.uint8)
    low, high = round(0.07 * dpi), round(0.2 * dpi)
    contours, _ = cv2.findContours(ink, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    boxes: list[Checkbox] = []
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        if not (low <= w <= high and low <= h <= high and 0.8 <= w / h <= 1.25):
            continue
        if not _has_square_border(ink[y : y + h, x : x + w]) or not _stands_on_paper(
            ink, x, y, w, h
        ):
            continue
        box = _classify_box(ink, x, y, w, h)
        if not any(_overlaps(box, seen) for seen in boxes):
            boxes.append(box)
    return boxes


def _has_square_border(cell: Pixels) -> bool:
    band = max(2, min(cell.shape) // 8)
    sides = (
        cell[:band, :].max(axis=0),
        cell[-band:, :].max(axis=0),
        cell[:, :band].max(axis=1),
        cell[:, -band:].max(axis=1),
    )
    corners = (cell[:band, :band], cell[:band, -band:], cell[-band:, :band], cell[-band:, -band:])
    # A box's corners are square, so ink fills at least half of each corner patch; a round
    # letter ("O", "0", "D" at 200 dpi is about 0.07 inch) leaves its corners nearly empty.
    return all(float(side.mean()) >= 0.8 for side in sides) and all(
        float(c.mean()) >= 0.5 for c in corners
    )


def _stands_on_paper(ink: Pixels, x: int, y: int, w: int, h: int) -> bool:
    """White around the box: a light letter cut out of a dark section bar is not a box."""
    pad = max(3, w // 6)
    top, left = max(0, y - pad), max(0, x - pad)
    around = ink[top : y + h + pad, left : x + w + pad].astype(np.float32)
    inner = ink[y : y + h, x : x + w].astype(np.float32)
    ring = (float(around.sum()) - float(inner.sum())) / max(1.0, around.size - inner.size)
    return ring < 0.25


def _classify_box(ink: Pixels, x: int, y: int, w: int, h: int) -> Checkbox:
    margin = max(3, min(w, h) // 5)
    inside = ink[y + margin : y + h - margin, x + margin : x + w - margin]
    fill = float(inside.mean()) if inside.size else 0.0
    checked = fill > 0.08
    clarity = min(1.0, abs(fill - 0.08) / 0.06)
    return Checkbox(x0=x, y0=y, x1=x + w, y1=y + h, checked=checked, clarity=clarity)


def _overlaps(a: Checkbox, b: Checkbox) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1

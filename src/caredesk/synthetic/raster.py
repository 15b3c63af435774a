"""Turn a clean PDF into what arrives by fax or scanner: 1-bit G4 TIFF, image-only PDF, PNG, JPEG.

This is the only module of the generator that imports pypdfium2.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from random import Random

import numpy as np
import pypdfium2 as pdfium
from PIL import Image

FAX_DPI_X = 204
FINE_DPI_Y = 196
# "Standard" fax resolution halves the vertical resolution.
STANDARD_DPI_Y = 98
SCAN_DPI = 200
CLEAN_IMAGE_DPI = 150


@dataclass(frozen=True)
class FaxProfile:
    """How badly one transmission mangles its pages."""

    dpi_y: int
    ink: float
    paper: float
    noise: float
    threshold: float
    speckles: float
    dropouts: float
    skews: tuple[float, ...]
    flipped_page: int | None


def choose_fax_profile(rng: Random, pages: int) -> FaxProfile:
    """Mostly fine mode; some standard mode, low contrast, speckled; a page upside down at times."""
    low_contrast = rng.random() < 0.3
    return FaxProfile(
        dpi_y=STANDARD_DPI_Y if rng.random() < 0.2 else FINE_DPI_Y,
        ink=rng.uniform(70, 120) if low_contrast else rng.uniform(0, 40),
        paper=rng.uniform(190, 225) if low_contrast else rng.uniform(235, 255),
        noise=rng.uniform(8, 28),
        threshold=rng.uniform(0.5, 0.62),
        speckles=rng.uniform(0.0002, 0.0025),
        dropouts=rng.uniform(0.0, 0.04),
        skews=tuple(rng.uniform(-3.0, 3.0) for _ in range(pages)),
        flipped_page=rng.randrange(pages) if rng.random() < 0.1 else None,
    )


def render_pages(pdf: bytes, dpi: float, *, max_pages: int | None = None) -> list[Image.Image]:
    """Grayscale page images of `pdf` at `dpi`."""
    document = pdfium.PdfDocument(pdf)
    try:
        count = len(document) if max_pages is None else min(max_pages, len(document))
        images = []
        for index in range(count):
            bitmap = document[index].render(scale=dpi / 72, grayscale=True)
            images.append(bitmap.to_pil().convert("L"))
        return images
    finally:
        document.close()


def squash(page: Image.Image, dpi_y: int) -> Image.Image:
    """A page rendered at 204 dpi both ways, resampled to the fax's vertical resolution."""
    height = round(page.height * dpi_y / FAX_DPI_X)
    return page.resize((page.width, height), Image.Resampling.BOX)


def _streaks(ink: np.ndarray, generator: np.random.Generator) -> None:
    """A few horizontal scan-line streaks, as a dirty fax head leaves."""
    height, width = ink.shape
    for _ in range(int(generator.integers(0, 4))):
        row, start = int(generator.integers(0, height)), int(generator.integers(0, width // 2))
        ink[row, start : start + int(generator.integers(width // 8, width // 2))] = True


def degrade_page(
    page: Image.Image, profile: FaxProfile, index: int, generator: np.random.Generator
) -> Image.Image:
    """One fax page: squashed to the fax resolution, washed out, noisy, skewed, 1-bit."""
    tone = np.asarray(squash(page, profile.dpi_y), dtype=np.float32)
    tone = profile.ink + tone * ((profile.paper - profile.ink) / 255.0)
    tone += generator.standard_normal(tone.shape, dtype=np.float32) * profile.noise
    washed = Image.fromarray(np.clip(tone, 0, 255).astype(np.uint8), mode="L")
    skewed = washed.rotate(
        profile.skews[index], resample=Image.Resampling.BILINEAR, fillcolor=int(profile.paper)
    )
    ink = np.asarray(skewed) < profile.threshold * profile.paper
    flat = ink.reshape(-1)
    # Scattered pixels flipped at random positions: speckles of dirt, dropouts in the strokes.
    flat[generator.integers(0, flat.size, int(flat.size * profile.speckles))] = True
    flat[generator.integers(0, flat.size, int(flat.size * profile.dropouts))] = False
    _streaks(ink, generator)
    fax = Image.fromarray(~ink)
    if profile.flipped_page == index:
        fax = fax.rotate(180)
    return fax


def ink_kept(page: Image.Image, profile: FaxProfile, index: int, fax: Image.Image) -> float:
    """Share of the original's solid-ink pixels that are still black on the fax page.

    A low-contrast transmission whose threshold falls near the ink's own grey keeps only
    scattered dots of each stroke; this is how much of the writing reached the paper (the
    reader rejoins dots that are dense enough, see ingest.preprocess, but pixels that are
    gone are gone). It draws no random numbers, so measuring it leaves the corpus unchanged.
    """
    squashed = squash(page, profile.dpi_y)
    aligned = squashed.rotate(
        profile.skews[index], resample=Image.Resampling.BILINEAR, fillcolor=255
    )
    solid = np.asarray(aligned) < 64
    received = fax.rotate(180) if profile.flipped_page == index else fax
    black = ~np.asarray(received, dtype=bool)
    return float(black[solid].mean()) if solid.any() else 1.0


@dataclass(frozen=True)
class Transmission:
    """A faxed document: its 1-bit pages, how they were degraded, how much ink survived."""

    images: list[Image.Image]
    profile: FaxProfile
    ink_kept: list[float]


def fax_pages(pdf: bytes, rng: Random, *, max_pages: int | None = None) -> Transmission:
    """The pages of `pdf` as they arrive by fax."""
    pages = render_pages(pdf, FAX_DPI_X, max_pages=max_pages)
    profile = choose_fax_profile(rng, len(pages))
    generator = np.random.default_rng(rng.getrandbits(64))
    images = [degrade_page(page, profile, index, generator) for index, page in enumerate(pages)]
    kept = [ink_kept(page, profile, i, images[i]) for i, page in enumerate(pages)]
    return Transmission(images, profile, kept)


def scan_page(page: Image.Image, rng: Random) -> tuple[Image.Image, float]:
    """A desk-scanner or phone capture: grey paper, mild noise; returns it and its skew."""
    generator = np.random.default_rng(rng.getrandbits(64))
    tone = np.asarray(page, dtype=np.float32)
    paper, ink = rng.uniform(200, 240), rng.uniform(20, 70)
    tone = ink + tone * ((paper - ink) / 255.0)
    tone += generator.standard_normal(tone.shape, dtype=np.float32) * rng.uniform(3, 10)
    scanned = Image.fromarray(np.clip(tone, 0, 255).astype(np.uint8), mode="L")
    angle = rng.uniform(-1.5, 1.5)
    return scanned.rotate(angle, resample=Image.Resampling.BILINEAR, fillcolor=int(paper)), angle


def bilevel(page: Image.Image) -> Image.Image:
    """A clean 1-bit page, as a fax server renders a digitally sent document."""
    return page.point(lambda value: 255 if value >= 160 else 0).convert("1")


def g4_tiff(pages: list[Image.Image], dpi_y: int) -> bytes:
    """Multi-page CCITT Group 4 TIFF, as fax servers store received faxes."""
    buffer = io.BytesIO()
    pages[0].save(
        buffer,
        format="TIFF",
        compression="group4",
        dpi=(FAX_DPI_X, dpi_y),
        save_all=True,
        append_images=pages[1:],
    )
    return buffer.getvalue()


def image_pdf(pages: list[Image.Image], dpi: tuple[int, int]) -> bytes:
    """An image-only PDF with no text layer; no dates, so one seed gives the same bytes."""
    buffer = io.BytesIO()
    pages[0].save(
        buffer,
        format="PDF",
        save_all=True,
        append_images=pages[1:],
        dpi=dpi,
        creationDate=None,
        modDate=None,
        title=None,
        producer=None,
        creator=None,
    )
    return buffer.getvalue()


def png(page: Image.Image, dpi: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    page.save(buffer, format="PNG", dpi=dpi, optimize=False)
    return buffer.getvalue()


def jpeg(page: Image.Image, dpi: int, quality: int) -> bytes:
    buffer = io.BytesIO()
    page.save(buffer, format="JPEG", dpi=(dpi, dpi), quality=quality)
    return buffer.getvalue()

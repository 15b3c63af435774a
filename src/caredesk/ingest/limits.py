"""Limits one ingestion run must respect: bytes, pages, pixels per page, OCR seconds, workers."""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image


@dataclass(frozen=True)
class IngestLimits:
    """Built by the caller from Settings; the pipeline never reads Settings itself."""

    max_bytes: int = 50 * 1024 * 1024
    max_pages: int = 500
    max_image_pixels: int = 200_000_000
    ocr_page_timeout_s: float = 60.0
    workers: int = 1

    def apply_to_pillow(self) -> None:
        """Pillow refuses images over twice this many pixels; we check the exact limit too."""
        Image.MAX_IMAGE_PIXELS = self.max_image_pixels

"""The corpus: many seeded documents in many file formats, each with a ground-truth JSON file."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from random import Random
from typing import Any

from caredesk.domain.errors import InputRejected
from caredesk.synthetic import documents, raster
from caredesk.synthetic.layouts import LAYOUTS

FORMATS = ("pdf", "tiff", "scanned_pdf", "png", "jpeg")
EXTENSIONS = {"pdf": "pdf", "tiff": "tif", "scanned_pdf": "pdf", "png": "png", "jpeg": "jpg"}
# Twenty slots, weighted like a real intake inbox and interleaved so small corpora see every type.
TYPE_CYCLE = (
    "referral",
    "pa_request",
    "invoice",
    "payer_letter",
    "clinical_note",
    "referral",
    "invoice",
    "pa_request",
    "other",
    "clinical_note",
    "referral",
    "payer_letter",
    "invoice",
    "pa_request",
    "referral",
    "clinical_note",
    "invoice",
    "payer_letter",
    "pa_request",
    "referral",
)
FORMAT_WEIGHTS = {
    "clean": {"pdf": 0.8, "png": 0.1, "jpeg": 0.05, "scanned_pdf": 0.05},
    "fax": {"tiff": 0.45, "scanned_pdf": 0.35, "png": 0.1, "jpeg": 0.1},
}
_GOLDEN = 0.6180339887498949
_SQRT2_STEP = 0.41421356237309503


@dataclass(frozen=True)
class CorpusFile:
    """One generated file and its ground truth, ready to write."""

    doc_id: str
    extension: str
    content: bytes
    truth: dict[str, Any]


def plan_document(index: int) -> tuple[str, str]:
    """(doc type, layout) of document `index`: the cycle fixes the type, layouts rotate."""
    doc_type = TYPE_CYCLE[index % len(TYPE_CYCLE)]
    layouts = sorted(LAYOUTS[doc_type])
    slot = TYPE_CYCLE[: index % len(TYPE_CYCLE)].count(doc_type)
    per_cycle = TYPE_CYCLE.count(doc_type)
    return doc_type, layouts[(slot + per_cycle * (index // len(TYPE_CYCLE))) % len(layouts)]


def choose_variant(index: int, seed: int, fax_share: float) -> str:
    """Fax for about `fax_share` of documents, spread evenly rather than by chance."""
    return "fax" if _spread(index, seed, _GOLDEN) < fax_share else "clean"


def _spread(index: int, seed: int, step: float) -> float:
    """A number in [0, 1) that covers the interval evenly as `index` grows."""
    return ((index + 1) * step + seed * 0.1) % 1.0


def choose_output(
    index: int, seed: int, fax_share: float, formats: Collection[str]
) -> tuple[str, str]:
    """(variant, file format); a text-layer PDF is always clean, so `pdf` alone forces clean."""
    variant = choose_variant(index, seed, fax_share)
    weights = {name: weight for name, weight in FORMAT_WEIGHTS[variant].items() if name in formats}
    if not weights and variant == "fax":
        variant = "clean"
        weights = {
            name: weight for name, weight in FORMAT_WEIGHTS[variant].items() if name in formats
        }
    if not weights:
        weights = {name: 1.0 for name in FORMATS if name in formats and name != "pdf"}
    names = sorted(weights, key=lambda name: -weights[name])
    point, total = _spread(index, seed, _SQRT2_STEP) * sum(weights.values()), 0.0
    for name in names:
        total += weights[name]
        if point < total:
            return variant, name
    return variant, names[-1]


@dataclass(frozen=True)
class Encoded:
    """A file's bytes, its page count, and for images how they were made (dpi, skew, flips)."""

    content: bytes
    pages: int
    image: dict[str, Any]


def _clean_images(pdf: bytes, file_format: str) -> Encoded:
    if file_format == "tiff":
        renders = raster.render_pages(pdf, raster.FAX_DPI_X)
        images = [raster.bilevel(raster.squash(page, raster.FINE_DPI_Y)) for page in renders]
        fine = {"dpi": [raster.FAX_DPI_X, raster.FINE_DPI_Y]}
        return Encoded(raster.g4_tiff(images, raster.FINE_DPI_Y), len(images), fine)
    single = file_format in {"png", "jpeg"}
    size = raster.CLEAN_IMAGE_DPI if file_format == "png" else raster.SCAN_DPI
    images, dpi = raster.render_pages(pdf, size, max_pages=1 if single else None), (size, size)
    if file_format == "png":
        return Encoded(raster.png(images[0], dpi), 1, {"dpi": list(dpi)})
    if file_format == "jpeg":
        return Encoded(raster.jpeg(images[0], size, 90), 1, {"dpi": list(dpi)})
    return Encoded(raster.image_pdf(images, dpi), len(images), {"dpi": list(dpi)})


def _fax(pdf: bytes, file_format: str, rng: Random) -> Encoded:
    if file_format == "jpeg":
        page = raster.render_pages(pdf, raster.SCAN_DPI, max_pages=1)[0]
        scanned, angle = raster.scan_page(page, rng)
        quality = rng.randint(55, 85)
        image = {"dpi": [raster.SCAN_DPI] * 2, "skew_degrees": [round(angle, 2)]}
        return Encoded(raster.jpeg(scanned, raster.SCAN_DPI, quality), 1, image)
    sent = raster.fax_pages(pdf, rng, max_pages=1 if file_format == "png" else None)
    images, profile = sent.images, sent.profile
    dpi = (raster.FAX_DPI_X, profile.dpi_y)
    flipped = profile.flipped_page
    image = {"dpi": list(dpi), "skew_degrees": [round(skew, 2) for skew in profile.skews],
             "upside_down_pages": [] if flipped is None else [flipped + 1],
             "ink_kept": [round(share, 3) for share in sent.ink_kept]}  # fmt: skip
    if file_format == "tiff":
        return Encoded(raster.g4_tiff(images, profile.dpi_y), len(images), image)
    if file_format == "png":
        return Encoded(raster.png(images[0], dpi), 1, image)
    return Encoded(raster.image_pdf(images, dpi), len(images), image)


def encode(
    rendered: documents.RenderedDocument, variant: str, file_format: str, rng: Random
) -> Encoded:
    """The file for `rendered` as `variant` in `file_format`; PNG and JPEG hold page one only."""
    if variant == "clean" and file_format == "pdf":
        return Encoded(rendered.pdf, rendered.pages, {})
    if variant == "clean":
        return _clean_images(rendered.pdf, file_format)
    return _fax(rendered.pdf, file_format, rng)


def build_file(
    index: int, seed: int, fax_share: float = 0.5, formats: Collection[str] = FORMATS
) -> CorpusFile:
    """Document `index` of the corpus for `seed`, independent of how many others are made."""
    rng = Random(f"caredesk-synthetic:{seed}:{index}")
    doc_type, layout = plan_document(index)
    variant, file_format = choose_output(index, seed, fax_share, formats)
    doc_id = f"syn-{index + 1:04d}"
    document_facts = documents.make_facts(rng, doc_type, layout)
    stamp = None
    if variant == "fax" or rng.random() < 0.15:
        stamp = documents.fax_stamp(
            rng, documents.sender_of(document_facts), documents.dated(document_facts)
        )
    rendered = documents.render(rng, doc_id, doc_type, layout, document_facts, stamp=stamp)
    encoded = encode(rendered, variant, file_format, rng)
    truth = rendered.truth(variant, file_format, encoded.pages)
    if encoded.image:
        truth["image"] = encoded.image
    return CorpusFile(doc_id, EXTENSIONS[file_format], encoded.content, truth)


def _build_star(arguments: tuple[int, int, float, tuple[str, ...]]) -> CorpusFile:
    return build_file(*arguments)


def _files(
    count: int, seed: int, fax_share: float, formats: tuple[str, ...], workers: int
) -> Iterator[CorpusFile]:
    jobs = [(index, seed, fax_share, formats) for index in range(count)]
    if workers <= 1:
        yield from map(_build_star, jobs)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(_build_star, jobs, chunksize=4)


def write_file(out_dir: Path, item: CorpusFile) -> tuple[Path, dict[str, Any]]:
    """Write the document and `<name>.truth.json`; returns the path and its manifest line."""
    path = out_dir / f"{item.doc_id}.{item.extension}"
    truth_path = out_dir / f"{item.doc_id}.truth.json"
    path.write_bytes(item.content)
    truth_path.write_text(
        json.dumps(item.truth, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    line = {
        key: item.truth[key]
        for key in ("doc_id", "doc_type", "layout", "variant", "format", "pages")
    }
    line.update(
        file=path.name, truth=truth_path.name, sha256=hashlib.sha256(item.content).hexdigest()
    )
    return path, line


def generate_corpus(
    out_dir: Path,
    count: int,
    seed: int = 7,
    *,
    fax_share: float = 0.5,
    formats: Collection[str] = FORMATS,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> list[Path]:
    """Write `count` documents, their `<name>.truth.json` files and a `manifest.jsonl`.

    Same seed, same bytes: document i depends only on (seed, i), so a larger corpus starts
    with the smaller one. `formats` limits the file formats; `progress(done, count)` is called
    after each document.
    """
    if not formats or set(formats) - set(FORMATS):
        raise InputRejected(f"formats must be a non-empty subset of {', '.join(FORMATS)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    paths, lines = [], []
    chosen = tuple(name for name in FORMATS if name in formats)
    for done, item in enumerate(_files(count, seed, fax_share, chosen, workers), start=1):
        path, line = write_file(out_dir, item)
        paths.append(path)
        lines.append(json.dumps(line, ensure_ascii=False))
        if progress:
            progress(done, count)
    (out_dir / "manifest.jsonl").write_text(
        "".join(f"{line}\n" for line in lines), encoding="utf-8"
    )
    return paths

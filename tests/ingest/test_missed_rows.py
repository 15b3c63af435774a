"""Rows tesseract's layout analysis dropped are read again from the ink no word covers."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from PIL import Image

from caredesk.ingest.limits import IngestLimits
from caredesk.ingest.missed_rows import reread_missed_rows
from caredesk.ingest.pipeline import run_pipeline
from caredesk.ingest.preprocess import PreprocessOptions, prepare
from caredesk.ingest.tesseract import read_words
from caredesk.synthetic.corpus import build_file


def test_a_row_a_fax_streak_hid_from_the_layout_analysis_is_read(tmp_path: Path) -> None:
    # Eval document syn-0132: a payer letter faxed in fine mode, read at 93, whose
    # "Member Name" and "Member ID" values tesseract's page layout dropped.
    item = build_file(131, 7)
    path = tmp_path / f"{item.doc_id}.{item.extension}"
    path.write_bytes(item.content)
    limits = IngestLimits(workers=1)
    found = run_pipeline(path, document_id="a", limits=limits, options=PreprocessOptions())
    assert found.fields["patient_name"].normalized == "Lance Samplesworth"
    assert str(found.fields["member_id"].normalized).startswith("QFH")
    without = PreprocessOptions().without("missed_rows")
    lost = run_pipeline(path, document_id="b", limits=limits, options=without)
    assert "patient_name" not in lost.fields and "member_id" not in lost.fields


def test_a_clean_page_read_whole_has_no_row_to_read_again() -> None:
    item = build_file(165, 7, fax_share=0.0, formats=("png",))
    image = Image.open(BytesIO(item.content))
    dpi = round(image.info.get("dpi", (150, 150))[0])
    prepared = prepare(image, dpi, PreprocessOptions())
    words = read_words(prepared.for_tesseract(), prepared.dpi, 60)
    assert len(words) > 50
    assert reread_missed_rows(prepared.image, prepared.dpi, words, 60) == []
    # The same reading with one row of body text taken away: that row is read again.
    rows: dict[int, list[str]] = {}
    for word in words:
        rows.setdefault(word.line, []).append(word.text)
    line = next(
        n for n, texts in rows.items() if len(texts) >= 4 and all(t.isalnum() for t in texts)
    )
    kept = [w for w in words if w.line != line]
    again = reread_missed_rows(prepared.image, prepared.dpi, kept, 60)
    assert [w.text for w in again] == rows[line]

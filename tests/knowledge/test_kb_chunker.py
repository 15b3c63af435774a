"""The chunker: sections by heading, token bounds, overlap, and offsets that quote exactly."""

from __future__ import annotations

import itertools
from datetime import date
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from caredesk.domain.knowledge import KbDocument, KbFrontMatter
from caredesk.knowledge.chunker import chunk_document, sections, sentence_spans
from caredesk.knowledge.loader import load_folder
from caredesk.knowledge.tokens import count_tokens

FIXTURE_KB = Path(__file__).parent / "fixtures" / "kb"
SENTENCE = "Lumbar MRI 72148 needs six weeks of failed conservative therapy first. "


def document(body: str) -> KbDocument:
    front = KbFrontMatter(id="doc", title="Doc", kind="guide", effective_date=date(2025, 1, 1))
    return KbDocument(front_matter=front, body=body, source_path="doc.md", content_hash="x")


def test_sections_follow_headings_and_keep_their_path() -> None:
    body = "Intro line.\n# Policy\n\nText.\n## Codes\n\n72148\n### Details\nMore.\n## Empty\n\n"
    found = [(s.path, body[s.content_start : s.end].strip()) for s in sections(body, "Doc")]
    assert found == [
        (("Doc",), "Intro line."),
        (("Policy",), "Text."),
        (("Policy", "Codes"), "72148"),
        (("Policy", "Codes", "Details"), "More."),
    ]


def test_a_heading_inside_a_code_fence_is_not_a_section() -> None:
    body = "# Real\n\n```\n# not a heading\n```\n"
    assert [s.path for s in sections(body, "Doc")] == [("Real",)]


def test_every_fixture_chunk_quotes_its_source_exactly_and_fits_the_token_budget() -> None:
    for doc in load_folder(FIXTURE_KB).documents:
        chunks = chunk_document(doc, max_tokens=60, overlap_tokens=10)
        assert chunks, doc.key
        for n, chunk in enumerate(chunks):
            assert doc.body[chunk.start : chunk.end] == chunk.text
            assert count_tokens(chunk.text) <= 60
            assert chunk.chunk_id == f"{doc.key}#{n}"


def test_long_sections_split_on_sentences_with_overlap() -> None:
    body = "## Criteria\n\n" + SENTENCE * 20
    chunks = chunk_document(document(body), max_tokens=80, overlap_tokens=20)
    assert len(chunks) > 2
    assert all(c.section_title == "Criteria" for c in chunks)
    assert all(c.text.endswith("first.") for c in chunks)  # cut between sentences
    for before, after in itertools.pairwise(chunks):
        assert after.start < before.end, "consecutive chunks share an overlapping sentence"


def test_the_code_list_of_a_chunk_names_codes_in_its_text() -> None:
    doc = next(d for d in load_folder(FIXTURE_KB).documents if d.key == "qf-imaging@2025")
    chunk = next(
        c
        for c in chunk_document(doc)
        if c.section_title == "Codes that require prior authorization"
    )
    assert {"72148", "70551", "70552", "70553"} <= set(chunk.mentioned_codes)


def test_sentence_spans_keep_list_items_whole() -> None:
    body = "Intro. Second sentence.\n\n- Brain MRI: 70551, 70552\n- PET: 78815\n"
    spans = [body[a:b] for a, b in sentence_spans(body, 0, len(body))]
    assert spans == ["Intro.", "Second sentence.", "- Brain MRI: 70551, 70552", "- PET: 78815"]


markdown_line = st.one_of(
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=120),
    st.sampled_from(
        ["# Title", "## Codes", "### Sub", "", "   ", "- item 72148.", "```", SENTENCE]
    ),
)


@settings(max_examples=60, deadline=None)
@given(lines=st.lists(markdown_line, max_size=40), max_tokens=st.integers(8, 120))
def test_offsets_are_exact_for_any_markdown(lines: list[str], max_tokens: int) -> None:
    body = "\n".join(lines)
    chunks = chunk_document(document(body), max_tokens=max_tokens, overlap_tokens=max_tokens // 6)
    for chunk in chunks:
        assert body[chunk.start : chunk.end] == chunk.text
        assert chunk.text.strip() == chunk.text and chunk.text
        assert count_tokens(chunk.text) <= max_tokens
    assert [c.start for c in chunks] == sorted(c.start for c in chunks)

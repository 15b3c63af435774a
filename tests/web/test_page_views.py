"""The pieces pages are made of: cited knowledge-base text, answers with their notes, quoted
words on a page, countdowns and diffs."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from caredesk.domain.documents import BoundingBox, OcrWord
from caredesk.web.answers import answer_view, citation_url
from caredesk.web.formatting import countdown, diff_lines, field_label
from caredesk.web.kb_markdown import render_body
from caredesk.web.rendering import templates
from caredesk.web.viewer import quote_boxes

BODY = """# Sleep testing

Home tests need **no PA** <script>alert(1)</script>.

## Codes that require prior authorization

- 95810 — attended in-lab polysomnography
- 95811 — with CPAP titration

| Payer | Window |
|---|---|
| Tumbleweed Mutual | 180 days |
"""


def test_the_quoted_span_is_marked_once_and_everything_else_escaped() -> None:
    start = BODY.index("95810")
    end = BODY.index("polysomnography") + len("polysomnography")
    html = render_body(BODY, start, end)
    assert '<li><mark id="quote">95810 — attended in-lab polysomnography</mark></li>' in html
    assert html.count("<mark") == 1
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "<strong>no PA</strong>" in html
    assert '<h3 id="sec-codes-that-require-prior-authorization">' in html
    assert "<td>Tumbleweed Mutual</td><td>180 days</td>" in html


def test_a_quote_across_blocks_is_marked_in_each_with_one_anchor() -> None:
    start = BODY.index("Tumbleweed")
    html = render_body(BODY, BODY.index("95811"), start + len("Tumbleweed Mutual"))
    assert html.count('<mark id="quote">') == 1
    assert html.count("<mark") == 4  # the list item, both header cells, the first cell


@given(st.text(alphabet="ab \n#-|*`", max_size=80), st.integers(0, 80), st.integers(0, 80))
def test_any_markdown_and_any_span_render(body: str, start: int, end: int) -> None:
    html = render_body(body, start, end)
    assert html.count('id="quote"') <= 1


def test_answers_link_their_citations_and_say_when_the_fallback_answered() -> None:
    view = answer_view(
        "Does Quillfeather need PA for 95810?",
        {
            "answer": "Yes. [1] The note says so. [2] [9]",
            "engine": "offline-fallback",
            "fallback_reason": "the model timed out",
            "confidence": 0.81,
            "abstained": False,
            "citations": [
                {"n": 1, "kind": "kb", "doc_id": "quillfeather-sleep-studies", "version": "2025.1",
                 "section": "Codes", "quote": "95810", "start": 648, "end": 653},
                {"n": 2, "kind": "case_document", "doc_id": "doc_abc", "version": "1",
                 "section": "page 2", "quote": "snoring", "start": 10, "end": 17},
            ],
        },
    )  # fmt: skip
    links = [part for part in view.parts if part.n]
    assert [part.url for part in links] == [
        "/kb/quillfeather-sleep-studies?version=2025.1&start=648&end=653#quote",
        "/documents/doc_abc?page=2&start=10&end=17&label=quoted+passage#page-view",
    ]
    assert view.parts[-1].text.endswith("[9]")  # not a citation: stays text
    html = templates.get_template("copilot/_answer.html").render(answer=view)
    assert 'data-note="fallback"' in html and "the model timed out" in html
    assert 'data-note="abstained"' not in html
    assert 'class="cite" href="/kb/quillfeather-sleep-studies?version=2025.1&amp;start=648' in html


def test_an_abstention_says_so() -> None:
    view = answer_view("Mars?", {"answer": "No answer.", "engine": "offline", "abstained": True})
    html = templates.get_template("copilot/_answer.html").render(answer=view)
    assert 'data-note="abstained"' in html and 'data-note="fallback"' not in html
    assert citation_url({"kind": "case_facts", "doc_id": "case_1"}) is None


def _word(text: str, x: float, line: int) -> OcrWord:
    box = BoundingBox(x0=x, y0=line * 40, x1=x + 10 * len(text), y1=line * 40 + 30,
                      page_width=1000, page_height=1000)  # fmt: skip
    return OcrWord(text=text, bbox=box, confidence=95, line=line, block=0)


def test_a_quote_is_boxed_line_by_line_over_its_words() -> None:
    words = [_word("Loud", 0, 1), _word("snoring", 60, 1), _word("witnessed", 0, 2),
             _word("apneas", 110, 2), _word("BMI", 0, 3)]  # fmt: skip
    text = "Loud snoring witnessed apneas BMI"
    start = text.index("snoring")
    boxes = quote_boxes(words, start, text.index("apneas") + 3)
    assert [(b.x0, b.x1, b.y0) for b in boxes] == [(60, 130, 40), (0, 170, 80)]


def test_countdowns_diffs_and_labels_read_like_people_talk() -> None:
    assert countdown(2 * 86400 + 4 * 3600 + 59) == "2 d 4 h left"
    assert countdown(45 * 60) == "45 min left"
    assert countdown(-(3 * 3600 + 5 * 60)) == "overdue by 3 h 5 min"
    assert countdown(0) == "overdue by 1 min"
    kinds = [line.kind for line in diff_lines("--- v1\n+++ v2\n@@ -1 +1 @@\n-old\n+new\n same")]
    assert kinds == ["hunk", "del", "add", "same"]
    assert field_label("ordering_provider_npi") == "Ordering provider NPI"

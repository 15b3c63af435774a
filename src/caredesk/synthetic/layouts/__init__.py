"""Layouts by document type: each draws one kind of paper and records what it printed."""

from __future__ import annotations

from collections.abc import Callable
from random import Random
from typing import Any

from caredesk.synthetic.layouts import invoice, letter, note, other, pa_request, referral
from caredesk.synthetic.layouts.common import LABELS, SheetFactory
from caredesk.synthetic.sheet import Sheet

Layout = Callable[[Random, Any, SheetFactory], Sheet]

LAYOUTS: dict[str, dict[str, Layout]] = {
    "referral": {
        "referral-a": referral.referral_a,
        "referral-b": referral.referral_b,
        "referral-c": referral.referral_c,
    },
    "pa_request": {
        "pa-request-a": pa_request.pa_request_a,
        "pa-request-b": pa_request.pa_request_b,
        "pa-request-c": pa_request.pa_request_c,
    },
    "invoice": {
        "invoice-a": invoice.invoice_a,
        "invoice-b": invoice.invoice_b,
        "invoice-c": invoice.invoice_c,
    },
    "payer_letter": {
        "letter-a": letter.letter_a,
        "letter-b": letter.letter_b,
        "letter-c": letter.letter_c,
    },
    "clinical_note": {
        "note-a": note.note_a,
        "note-b": note.note_b,
        "note-c": note.note_c,
    },
    "other": {
        "fax-cover-a": other.fax_cover_a,
        "fax-cover-b": other.fax_cover_b,
        "fax-report-c": other.fax_report_c,
    },
}

__all__ = ["LABELS", "LAYOUTS", "Layout"]

"""Fax slips found on held-out corpora (seeds the eval does not use): table borders, slivers,
codes that look like amounts, lost dashes and digits, misread ticks, captions and names."""

from __future__ import annotations

from functools import partial

from tests.ingest.placed import page, page_of, referral_of, word_at, words

from caredesk.domain.documents import DocType, OcrWord
from caredesk.ingest.extract import extract_fields
from caredesk.ingest.extract.parsers import parse_name_text, parse_npi, parse_person
from caredesk.ingest.extract.values import DateContext, parse_amount
from caredesk.settings import Settings

AUTO_ACCEPT = Settings.model_fields["auto_accept_threshold"].default


# A mark OCR made of a rule, a speck or a garbled caption, read at a middling confidence.
_mark = partial(word_at, confidence=70)


def test_values_under_a_caption_row_are_read_past_the_marks_of_the_cell_borders() -> None:
    placed = [
        *words("Invoice no.", y=100, x=100),
        *words("Account", y=100, x=700),
        *words("Due date", y=100, x=1300),
        _mark(660, 150, "|"),  # the table's vertical rules, a row of their own
        _mark(1260, 150, "|"),
        *words("202668760", y=200, x=100),
        *words("CUST-86000", y=200, x=700),
        *words("30-06-2026", y=200, x=1300),
    ]
    fields, _ = extract_fields(DocType.INVOICE, "inv", [page_of(placed)])
    assert fields["account_reference"].normalized == "CUST-86000"
    assert fields["due_date"].normalized == "2026-06-30"


def test_a_sliver_ocr_read_off_a_rule_does_not_join_the_value_it_touches() -> None:
    placed = [
        *words("Invoice Date", y=100, x=100),
        _mark(480, 174, "-05-", height=3),  # 3 px tall: a rule, not a word
        *words("21-05-2026", y=160, x=560),
    ]
    fields, _ = extract_fields(DocType.INVOICE, "inv", [page_of(placed)])
    assert fields["invoice_date"].normalized == "2026-05-21"


def test_a_vat_number_is_no_amount_and_the_tax_line_follows_from_the_totals() -> None:
    assert parse_amount("NL000000000B01") is None
    assert parse_amount("NLOOOOOOO000BO1") is None
    assert parse_amount("EUR12.50") is not None  # a currency code glued on is still money
    invoice = page(
        "SUBTOTAL 2.166,40",
        "BIW 9% 194,98",  # the caption OCR lost
        "TOTAL EUR 2.361,38",
        "Thank you! BTW NLOOOOOOO000BO1",  # the vendor's VAT number, under a tax caption
    )
    fields, _ = extract_fields(DocType.INVOICE, "inv", [invoice])
    assert fields["tax"].normalized == "194.98"
    assert fields["tax"].confidence < AUTO_ACCEPT


def test_a_reference_with_one_dash_lost_gets_it_back() -> None:
    fields, _ = extract_fields(DocType.INVOICE, "inv", [page("Account: PO-2026 522")])
    assert fields["account_reference"].normalized == "PO-2026-522"
    assert fields["account_reference"].confidence < AUTO_ACCEPT


def test_a_validity_whose_valid_ocr_misspelt_still_reads() -> None:
    letter = page(
        "NOTICE OF DETERMINATION",
        "Determination APPROVED",
        "The authorization 1s vaiid from 05/17/26 through 11/12/26. Services must be",
    )
    fields, _ = extract_fields(DocType.PAYER_LETTER, "l", [letter])
    assert fields["valid_from"].normalized == "2026-05-17"
    assert fields["valid_through"].normalized == "2026-11-12"


def test_an_npi_with_one_digit_read_as_a_mark_is_completed_by_its_check_digit() -> None:
    context = DateContext()
    mended = parse_npi(words("1747636/63"), context)
    assert mended is not None and mended.normalized == "1747636763"
    assert mended.quality < 1.0
    assert parse_npi(words("05/30/2026"), context) is None  # two marks: a date, no NPI
    fields = referral_of("Referring Provider: Dr. Mark Shamwell, DO NPI: 1747636/63")
    assert fields["ordering_provider_npi"].normalized == "1747636763"
    assert fields["ordering_provider_npi"].confidence < AUTO_ACCEPT


def test_ticks_read_as_dense_marks_and_open_boxes_read_as_c_still_choose() -> None:
    fields = referral_of("Urgency: C) Expedited [&! Standard Order date: 05/30/2026")
    assert fields["urgency"].normalized == "standard"
    fields = referral_of("Urgency: [#] Expedited C) Standard")
    assert fields["urgency"].normalized == "expedited"


def test_an_urgency_beside_a_caption_ocr_could_not_read_is_still_read() -> None:
    placed = [
        *words("PRE-SERVICE REVIEW REQUEST", y=100),
        _mark(100, 300, "curyency", confidence=0),
        *words("STANDARD", y=300, x=400),
    ]
    fields, _ = extract_fields(DocType.PA_REQUEST, "pa", [page_of(placed)])
    assert fields["urgency"].normalized == "standard"
    # A word read with confidence beside it is another line's text: no urgency by itself.
    placed[1] = _mark(100, 300, "Category", confidence=90)
    fields, _ = extract_fields(DocType.PA_REQUEST, "pa", [page_of(placed)])
    assert "urgency" not in fields


def test_the_attestation_above_a_signature_line_is_not_the_signer() -> None:
    placed = [
        *words("I certify that the services ordered are medically necessary", y=100),
        *words("is' Kyle Replicant,", y=160),
        *words("Date signed: 5/16/2026", y=160, x=1400),
        *words("Signature of ordering provider", y=220),
    ]
    fields, _ = extract_fields(DocType.REFERRAL, "r", [page_of(placed)])
    assert fields["ordering_provider_name"].normalized == "Kyle Replicant"


def test_a_facility_word_one_slip_off_is_put_back_and_other_words_are_kept() -> None:
    context = DateContext()
    for printed, meant in (
        ("Sample Valley Inaging Centor", "Sample Valley Imaging Center"),
        ("Sample Valley Medical Suppty", "Sample Valley Medical Supply"),
        ("Sample Yailey Surgerv Center", "Sample Valley Surgery Center"),
        ("Quasar Primary Care", "Quasar Primary Care"),  # names that are no slip stay
        ("Mockingbird Pulmonary & Sleep", "Mockingbird Pulmonary & Sleep"),
    ):
        parsed = parse_name_text(words(printed), context)
        assert parsed is not None and parsed.normalized == meant


def test_references_with_a_bracket_a_bang_or_a_split_tail_read_whole() -> None:
    fields, _ = extract_fields(DocType.INVOICE, "inv", [page("Invoice #: [INV 2026 55674")])
    assert fields["invoice_number"].normalized == "INV-2026-55674"
    fields, _ = extract_fields(DocType.INVOICE, "inv", [page("Invoice No. S!-090799")])
    assert fields["invoice_number"].normalized == "SI-090799"
    split = [*words("Reference #:", y=100), *words("TWM20260531 13978", y=100, x=400, gap=6)]
    fields = extract_fields(DocType.PAYER_LETTER, "l", [page_of(split)])[0]
    assert fields["reference_number"].normalized == "TWM2026053113978"
    apart = [*words("Reference #:", y=100), *words("TWM20260531 13978", y=100, x=400, gap=40)]
    fields = extract_fields(DocType.PAYER_LETTER, "l", [page_of(apart)])[0]
    assert fields["reference_number"].normalized == "TWM20260531"
    # Digits close by that make no payer's number are another value, not its tail.
    other = [*words("Account #:", y=100), *words("2026/905 12345", y=100, x=400, gap=6)]
    fields = extract_fields(DocType.INVOICE, "inv", [page_of(other)])[0]
    assert fields["account_reference"].normalized == "2026/905"


def test_an_iso_date_whose_first_dash_was_lost_reads_and_is_left_for_a_person() -> None:
    fields, _ = extract_fields(DocType.INVOICE, "inv", [page("Invoice Date: 2026 02-21")])
    assert fields["invoice_date"].normalized == "2026-02-21"
    assert fields["invoice_date"].confidence < AUTO_ACCEPT


def test_a_lone_npi_does_not_fill_a_field_whose_own_caption_misread_its_number() -> None:
    fields = referral_of(
        "Placeholder Home Respiratory",
        "Facility NPI: 2592608344",  # two digits misread: the check digit fails
        "RE: FAKESBURY, CHRISTOPHER",
        "Date of Birth: 1985-09-20",
        "Health Plan: Lanternfish Community Care",
        "Member No.: LCC2669032230",
        "Dear Colleague,",
        "I am referring the patient above for the service below.",
        "Diagnosis M17.11 Unilateral primary osteoarthritis, right knee",
        "Priority: URGENT Scheduled Date: 03/20/26",
        "Thank you for seeing this patient.",
        "/s/ Dr. Sherry Imitato, DO",
        "Pulmonology",
        "NPI: 1059452924",  # whose, no caption says
    )
    assert fields["ordering_provider_npi"].normalized == "1059452924"
    assert "rendering_provider_npi" not in fields


def test_a_degree_sign_before_a_name_and_a_misread_credential_after_it_are_dropped() -> None:
    context = DateContext()
    for printed in ("°. Carlos Counterfeit", "Carlos Counterfeit MB", "Carlos Counterfeit, D0"):
        parsed = parse_person(words(printed), context)
        assert parsed is not None and parsed.normalized == "Carlos Counterfeit"
    kept = parse_person(words("Andrew Ng"), context)  # a short surname is no credential
    assert kept is not None and kept.normalized == "Andrew Ng"


def test_a_letterhead_drops_its_logo_monogram_and_the_title_set_beside_it() -> None:
    def placed(text: str, x0: float, x1: float, height: float) -> OcrWord:
        return word_at(x0, 100, text, height=height, width=x1 - x0, confidence=96)

    letterhead = [
        placed("BMG", 188, 304, 50),  # the logo's initials
        placed("Beispiel", 358, 598, 62),
        placed("Medizintechnik", 615, 1063, 62),
        placed("GmbH", 1081, 1268, 62),
        placed("Rechnung", 1388, 1877, 100),  # the title, in bigger type
        placed("/", 1905, 1933, 100),
        placed("Invoice", 1961, 2305, 100),
        *words("Musterstrasse 12", y=260, x=358),
    ]
    fields, _ = extract_fields(DocType.INVOICE, "inv", [page_of(letterhead)])
    assert fields["vendor_name"].normalized == "Beispiel Medizintechnik GmbH"
    # Capitals that are not the initials of the name after them are part of it.
    letterhead[0] = placed("ACME", 188, 304, 62)
    fields, _ = extract_fields(DocType.INVOICE, "inv", [page_of(letterhead)])
    assert fields["vendor_name"].normalized == "ACME Beispiel Medizintechnik GmbH"


def test_a_reference_prefix_with_a_letter_read_small_still_gets_its_dash() -> None:
    fields, _ = extract_fields(DocType.INVOICE, "inv", [page("Account #: CuST 46749")])
    assert fields["account_reference"].normalized == "CUST-46749"
    assert fields["account_reference"].confidence < AUTO_ACCEPT


def test_a_code_table_reads_past_a_mark_beside_its_column() -> None:
    placed = [
        *words("CPT/HCPCS Description Units", y=100),
        _mark(900, 140, "T"),  # off a rule, beside the code column, a row of its own
        *words("(74178 CT abdomen and pelvis", y=180),
        *words("1", y=180, x=1600),
    ]
    fields, _ = extract_fields(DocType.PA_REQUEST, "pa", [page_of(placed)])
    assert fields["procedure_codes"].normalized == [{"code": "74178", "units": 1}]


def test_a_diagnosis_code_whose_capital_ocr_read_small_is_read_when_it_is_real() -> None:
    fields = referral_of("ICD-10-CM cs0911")  # C50911, printed without its dot
    assert fields["diagnosis_codes"].normalized == ["C50.911"]
    fields = referral_of("ICD-10-CM cs0999 see notes")  # no such code: no diagnosis
    assert "diagnosis_codes" not in fields


def test_a_units_cell_skips_a_rule_ocr_read_as_a_tall_digit() -> None:
    placed = [
        *words("CPT/HCPCS Description Units", y=100),
        *words("G0399 Home sleep", y=180),
        _mark(400, 160, "4", height=70, width=40),  # the column's rule, two lines tall
        *words("1", y=180, x=460),
    ]
    fields, _ = extract_fields(DocType.REFERRAL, "r", [page_of(placed)])
    assert fields["procedure_codes"].normalized == [{"code": "G0399", "units": 1}]


def test_a_bilingual_caption_whose_slash_ocr_lost_is_still_a_caption() -> None:
    fields, _ = extract_fields(DocType.INVOICE, "inv", [page("Klantnummer Account PO-2026-279")])
    assert fields["account_reference"].normalized == "PO-2026-279"


def test_a_day_or_month_over_31_gets_back_the_zero_ocr_closed_into_an_8_or_9() -> None:
    letter = [
        *words("AUTHORIZATION STATUS UPDATE", y=100),
        *words("STATUS: DENIED", y=160),
        *words("Date", y=220),
        *words("2026-82-83", y=220, x=400),  # the caption's column apart from the value's
    ]
    fields, _ = extract_fields(DocType.PAYER_LETTER, "l", [page_of(letter)])
    assert fields["letter_date"].normalized == "2026-02-03"
    assert fields["letter_date"].confidence < AUTO_ACCEPT
    fields, _ = extract_fields(DocType.INVOICE, "inv", [page("Payment due: 92-02-2026")])
    assert fields["due_date"].normalized == "2026-02-02"
    # A day that can be one is left as read.
    fields, _ = extract_fields(DocType.INVOICE, "inv", [page("Payment due: 28-02-2026")])
    assert fields["due_date"].normalized == "2026-02-28"

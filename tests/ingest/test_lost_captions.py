"""Values a fax still shows after OCR lost or garbled their captions: found by their shape
and place, never auto-accepted, and never guessed when the page offers two of them; and a
page too faint for that, flagged for a person."""

from __future__ import annotations

from datetime import date

from tests.ingest.placed import page, page_of, referral_of, word_at, words

from caredesk.domain.documents import DocType, DocumentStatus, OcrWord, PageResult
from caredesk.ingest.extract import extract_fields
from caredesk.ingest.extract.layout import close
from caredesk.ingest.extract.parsers import parse_money, parse_name_text, parse_reference
from caredesk.ingest.extract.values import DateContext
from caredesk.ingest.pipeline import understand
from caredesk.ingest.tasks import attention

AUTO_ACCEPT = 0.9


def test_a_procedure_code_with_its_units_word_is_read_without_a_caption() -> None:
    fields = referral_of("SECTION B - REQUESTED SERVICES", "erydma chide 72148 units 1")
    assert fields["procedure_codes"].normalized == [{"code": "72148", "units": 1}]
    # A bare "x" joins part numbers and sizes too: without a CPT caption it says nothing.
    assert "procedure_codes" not in referral_of("Tray 72148 x 2")


def test_an_urgency_printed_alone_in_capitals_is_read_without_its_caption() -> None:
    fields = referral_of("SECTION B - REQUESTED SERVICES", "Ds, . . STANDARD")
    assert fields["urgency"].normalized == "standard"
    assert fields["urgency"].confidence < AUTO_ACCEPT
    # Both options printed (a checkbox list whose ticks OCR lost): no answer.
    assert "urgency" not in referral_of("hes STANDARD", "EXPEDITED (72 hours)")


def test_a_patient_printed_surname_first_in_capitals_is_the_patient() -> None:
    fields = referral_of("1. MEMBER INFORMATION", "MOCKRIDGE. CONNIE April 15, 2017 F")
    assert fields["patient_name"].normalized == "Connie Mockridge"
    assert fields["patient_name"].confidence < AUTO_ACCEPT
    letter = page("Vv IPSUMFORD, MARK", "Re: your request")
    found, _ = extract_fields(DocType.PAYER_LETTER, "letter", [letter])
    assert found["patient_name"].normalized == "Mark Ipsumford"
    # Two such names: which is the patient is not for a guess. Headings are no names.
    assert "patient_name" not in referral_of("MOCKRIDGE, CONNIE", "IPSUMFORD, MARK")
    assert "patient_name" not in referral_of("SECTION, MEMBER")


def test_a_facility_above_its_npi_or_beside_a_captioned_npi_is_the_rendering_provider() -> None:
    above = referral_of(
        "hr Qe. ing breviaer",
        "Sample Valley Imaging Center",
        "2102866045",
    )
    assert above["rendering_provider_name"].normalized == "Sample Valley Imaging Center"
    assert above["rendering_provider_npi"].normalized == "2102866045"
    # The NPI column kept its caption, the facility's was garbled ("Faciy").
    header = words("Servicing Faciy", y=100) + words("NPI", y=100, x=900)
    row = words("Sample Valley Imaging Center", y=160) + words("2931803672", y=160, x=900)
    fields, _ = extract_fields(DocType.REFERRAL, "r", [page_of([*header, *row])])
    assert fields["rendering_provider_npi"].normalized == "2931803672"
    assert fields["rendering_provider_name"].normalized == "Sample Valley Imaging Center"


def test_an_amount_split_after_its_decimal_point_is_one_amount() -> None:
    parsed = parse_money(words("Total EUR 254. 99", gap=8), DateContext())
    assert parsed is not None and parsed.normalized == "254.99"
    spaced = parse_money(words("Total 254. 99", gap=60), DateContext())  # a far cell: not one
    assert spaced is not None and spaced.normalized == "99.00"


def test_captions_with_two_slips_or_run_together_are_still_captions() -> None:
    invoice = page("Payrert Due 26 February 2026", "Totaldae GBP £206. 40)")
    fields, _ = extract_fields(DocType.INVOICE, "inv", [invoice])
    assert fields["due_date"].normalized == "2026-02-26"
    assert fields["total_amount"].normalized == "206.40"
    # A word with two slips is a caption only beside another word of it read exactly.
    fields, _ = extract_fields(DocType.INVOICE, "inv", [page("Payrert Dux 26 February 2026")])
    assert "due_date" not in fields


def test_a_colon_set_far_right_of_its_caption_still_closes_it() -> None:
    line = (
        words("Referring Provider", y=100)
        + words(":", y=100, x=728)
        + words("Dr. Monica Imitato, MD", y=100, x=758)
    )
    fields, _ = extract_fields(DocType.REFERRAL, "r", [page_of(line)])
    assert fields["ordering_provider_name"].normalized == "Monica Imitato"


def test_a_signature_mark_read_as_a_digit_and_a_degree_sign_still_marks_the_signer() -> None:
    fields = referral_of("I attest that the information is true.", "3° Dr. Deborah Ersatzberg, MD")
    assert fields["ordering_provider_name"].normalized == "Deborah Ersatzberg"


def test_the_one_date_alone_under_the_requested_services_is_the_date_of_service() -> None:
    services = ["Service Code 70553 units 1", "R51.9", "March 9, 2026", "STANDARD"]
    fields = referral_of(*services)
    assert fields["date_of_service"].normalized == "2026-03-09"
    assert fields["date_of_service"].confidence < AUTO_ACCEPT
    # Two lone dates there: neither is taken.
    assert "date_of_service" not in referral_of(*services, "March 30, 2026")


def test_a_name_column_beside_a_birth_date_column_is_the_patients() -> None:
    header = words("Name", y=100) + words("DOB", y=100, x=700) + words("Sex", y=100, x=1100)
    row = words("Richard Synthetico", y=160) + words("1989-09-10", y=160, x=700)
    fields, _ = extract_fields(DocType.REFERRAL, "r", [page_of([*header, *row])])
    assert fields["patient_name"].normalized == "Richard Synthetico"
    assert fields["date_of_birth"].normalized == "1989-09-10"


def test_a_barely_legible_page_sends_the_document_to_a_person_and_asks_for_a_clearer_copy() -> None:
    legible = page("Patient Name: Richard Synthetico", "Member ID: QFH251526035").model_copy(
        update={"mean_confidence": 90.0}
    )
    noise = [w.model_copy(update={"confidence": 30.0}) for w in legible.words]
    faint = legible.model_copy(update={"number": 2, "words": tuple(noise), "mean_confidence": 30})
    result = understand("d", [legible, faint])
    warning = next(w for w in result.warnings if w.startswith("page 2 barely legible"))
    assert "clearer copy" in warning
    assert not any(w.startswith("page 1") for w in result.warnings)
    status, reason = attention(result, auto_accept=AUTO_ACCEPT)
    assert status is DocumentStatus.NEEDS_ATTENTION and "page 2 barely legible" in reason


def test_a_quote_mark_before_a_facility_name_is_not_part_of_it() -> None:
    fields = referral_of(
        "“Sample Valley Infusion Center",
        "292 Example Boulevard",
        "Grantside, WV 89914",
        "Facility NPI: 2102866045",
    )
    assert fields["rendering_provider_name"].normalized == "Sample Valley Infusion Center"
    # What OCR made of a speck under a garbled caption ("tame fy") names no facility.
    assert parse_name_text(words("fy"), DateContext()) is None


def test_a_letterhead_missing_a_letter_still_names_the_payer() -> None:
    letter = page("umbleweed Mutual", "Utilization Management", "STATUS: APPROVED")
    fields, _ = extract_fields(DocType.PAYER_LETTER, "letter", [letter])
    assert fields["payer"].normalized == "tumbleweed"
    assert fields["payer"].confidence < AUTO_ACCEPT
    # Two payers each within reach of a garbled head: no guess.
    unsure = page("umbleweed Lanterfish", "STATUS: APPROVED")
    fields, _ = extract_fields(DocType.PAYER_LETTER, "letter", [unsure])
    assert "payer" not in fields


def test_a_day_whose_one_was_read_as_a_bracket_still_reads() -> None:
    invoice = page("Payment due: April 1] 2026")
    fields, _ = extract_fields(DocType.INVOICE, "inv", [invoice])
    assert fields["due_date"].normalized == "2026-04-11"


def test_captions_where_ocr_merged_two_letters_into_one_still_read() -> None:
    header = words("Name", y=100) + words("Buth Date", y=100, x=700) + words("Sex", y=100, x=1200)
    row = words("SANDBOXLEY, TINA", y=160) + words("October 18, 1961", y=160, x=700)
    fields, _ = extract_fields(DocType.REFERRAL, "r", [page_of([*header, *row])])
    assert fields["date_of_birth"].normalized == "1961-10-18"
    invoice = page("Payrrent due: 26 February 2026")
    fields, _ = extract_fields(DocType.INVOICE, "inv", [invoice])
    assert fields["due_date"].normalized == "2026-02-26"
    # The slack a word is allowed follows its printed length: "Birth" read "Brth" still is.
    assert close("brth", "birth") and not close("dale", "date")


def test_an_npi_alone_in_its_column_belongs_to_the_clinician_above_it() -> None:
    name = words("beta rinn Pre", y=100) + words("Dr. Deborah Ersatzberg, MD", y=100, x=760)
    dust = words(",", y=150, x=1150)
    number = words("tee ae", y=170) + words("1821517905", y=170, x=760)
    fields, _ = extract_fields(DocType.PA_REQUEST, "pa", [page_of([*name, *dust, *number])])
    assert fields["ordering_provider_npi"].normalized == "1821517905"
    assert fields["ordering_provider_npi"].confidence < AUTO_ACCEPT
    # Beside its own (garbled) caption, close by, the number names no one.
    near = words("tee ae", y=170, x=600) + words("1821517905", y=170, x=700)
    fields, _ = extract_fields(DocType.PA_REQUEST, "pa", [page_of([*name, *near])])
    assert "ordering_provider_npi" not in fields


def test_a_signature_outvotes_a_name_found_only_by_its_place() -> None:
    doubted = [  # OCR doubted this reading
        w.model_copy(update={"confidence": 45.0})
        for w in words("Dr. Reborah Frsatzberg, MD", y=100, x=760)
    ]
    name = words("beta rinn Pre", y=100) + doubted
    number = words("tee ae", y=170) + words("1821517905", y=170, x=760)
    signed = words("/s/ Dr. Deborah Ersatzberg, MD", y=600)
    fields, _ = extract_fields(DocType.PA_REQUEST, "pa", [page_of([*name, *number, *signed])])
    assert fields["ordering_provider_name"].normalized == "Deborah Ersatzberg"


def test_a_misread_year_far_ahead_does_not_make_the_letter_date_a_birth_date() -> None:
    # OCR read "2026" as "2076" in the service date; the letter's own date is no birth date.
    lines = ("2026-05-02", "RE: STUBBINGTON, MARK", "Scheduled Date: 2076-05-26")
    assert "date_of_birth" not in referral_of(*lines)
    # Its caption lost, a real birth date is still found by its age.
    aged = referral_of(*lines, "Dirth Dato 02/19/1964")
    assert aged["date_of_birth"].normalized == "1964-02-19"


def test_specks_between_the_lines_of_a_reason_do_not_end_its_paragraph() -> None:
    speck = _speck(900, 162, "©", 38)
    noise = words("SS", y=200, x=700)
    noise = [w.model_copy(update={"confidence": 0.0}) for w in noise]
    placed = [
        *words("Dear Colleague,", y=100),
        speck,
        *words("I am referring the patient above for the service below: Knee pain", y=160),
        *noise,
        *words("for six months despite physical therapy.", y=220),
        *words("Thank you for seeing this patient.", y=400),
    ]
    fields, _ = extract_fields(DocType.REFERRAL, "r", [page_of(placed)])
    assert fields["clinical_reason"].normalized == (
        "Knee pain for six months despite physical therapy."
    )


def test_a_word_read_across_a_skewed_line_does_not_end_a_paragraph() -> None:
    tall = words("therapy.", y=280, x=700)
    tall = [w.model_copy(update={"bbox": w.bbox.model_copy(update={"y1": 335})}) for w in tall]
    placed = [
        *words("Dear Colleague,", y=100),
        *words("I am referring the patient above for the service below: Knee pain", y=160),
        *words("for six months despite", y=220),
        *words("physical", y=280),
        *tall,
        *words("Red flags: none.", y=340),
    ]
    fields, _ = extract_fields(DocType.REFERRAL, "r", [page_of(placed)])
    assert fields["clinical_reason"].normalized == (
        "Knee pain for six months despite physical therapy. Red flags: none."
    )


def test_a_reference_whose_dashes_the_fax_lost_gets_them_back() -> None:
    invoice = page("Account: CUST 45758", "Receipt no: INV 2026 91766")
    fields, _ = extract_fields(DocType.INVOICE, "inv", [invoice])
    assert fields["account_reference"].normalized == "CUST-45758"
    assert fields["invoice_number"].normalized == "INV-2026-91766"
    restored = fields["account_reference"].confidence
    assert restored < AUTO_ACCEPT
    # Printed with its dash, or digits alone: read as printed, and surer.
    fields, _ = extract_fields(DocType.INVOICE, "inv", [page("Account: CUST-45758")])
    assert fields["account_reference"].normalized == "CUST-45758"
    assert fields["account_reference"].confidence > restored
    fields, _ = extract_fields(DocType.INVOICE, "inv", [page("Account: 45758")])
    assert fields["account_reference"].normalized == "45758"


def _speck(x: float, y: float, text: str = ".", confidence: float = 30) -> OcrWord:
    return word_at(x, y, text, height=3, width=4, confidence=confidence)


def _guessed(found: list[OcrWord], confidence: float) -> list[OcrWord]:
    return [w.model_copy(update={"confidence": confidence}) for w in found]


def test_a_name_caption_under_the_member_heading_is_the_patients_despite_specks() -> None:
    placed = [
        *words("SECTION A - MEMBER AND PROVIDERS", y=100),
        *words("Payer Lanternfish Community Care", y=160),
        *(_speck(500 + 40 * i, 200 + 20 * i) for i in range(10)),
        *words("Name", y=460),
        *_guessed(words("oe", y=460, x=600), 31),  # the caption's dot leaders
        *words("Trialby, Joseph", y=460, x=760),
    ]
    fields, _ = extract_fields(DocType.PA_REQUEST, "pa", [page_of(placed)])
    assert fields["patient_name"].normalized == "Joseph Trialby"


def test_a_line_ocr_guessed_at_is_no_patient_when_the_page_prints_one() -> None:
    placed = [
        *words("NOTREAL, DOUGLAS", y=100),
        *words("Chief Complaint", y=300),
        *words("RE:", y=2000),
        *_guessed(words("Rite Midi rt", y=2000, x=200), 14),
    ]
    fields, _ = extract_fields(DocType.CLINICAL_NOTE, "note", [page_of(placed)])
    assert fields["patient_name"].normalized == "Douglas Notreal"


def test_a_code_table_reads_past_a_speck_and_a_count_run_into_its_rule() -> None:
    placed = [
        *words("Service Code Description Units", y=100),
        _speck(150, 140, "7", 51),  # in the code column
        *words("97112 Neuromuscular reeducation", y=170),
        *words("2", y=170, x=1500),
        _speck(900, 205),  # dust between two rows, outside the code column
        *words("97110 Therapeutic exercise", y=230),
        *words("3}", y=230, x=1500),
    ]
    fields, _ = extract_fields(DocType.REFERRAL, "r", [page_of(placed)])
    assert fields["procedure_codes"].normalized == [
        {"code": "97112", "units": 2},
        {"code": "97110", "units": 3},
    ]


def test_a_due_date_the_fax_lost_follows_from_the_payment_terms() -> None:
    invoice = page(
        "Invoice Date: 29/05/2026",
        "Payment Due: 42/06/2026",  # a 1 read as 4: no date
        "Payable within 14 cays without deduction.",
    )
    fields, _ = extract_fields(DocType.INVOICE, "inv", [invoice])
    assert fields["due_date"].normalized == "2026-06-12"
    assert fields["due_date"].confidence < AUTO_ACCEPT
    # A due date that reads is kept as printed, whatever the terms say.
    printed = page("Invoice Date: 29/05/2026", "Due Date: 30/06/2026", "Payable within 14 days")
    fields, _ = extract_fields(DocType.INVOICE, "inv", [printed])
    assert fields["due_date"].normalized == "2026-06-30"
    # Terms that disagree with each other give nothing.
    unsure = page("Invoice Date: 29/05/2026", "Payable within 14 days", "Net 30")
    fields, _ = extract_fields(DocType.INVOICE, "inv", [unsure])
    assert "due_date" not in fields


def test_a_year_read_with_a_7_for_a_2_is_put_back_and_left_for_a_person() -> None:
    this_year = date.today().year
    ahead = str(this_year).replace("2", "7", 1)  # 2026 -> 7026
    fields = referral_of(f"Requested Start Date: 05/26/{ahead}")
    assert fields["date_of_service"].normalized == f"{this_year}-05-26"
    mended = fields["date_of_service"].confidence
    assert mended < AUTO_ACCEPT
    printed = referral_of(f"Requested Start Date: 05/26/{this_year}")
    assert printed["date_of_service"].confidence > mended
    # A year far ahead that no 7 -> 2 slip brings near today is left as read.
    far = referral_of(f"Requested Start Date: 05/26/{this_year + 40}")
    assert far["date_of_service"].normalized == f"{this_year + 40}-05-26"


def test_a_plan_whose_payer_name_ocr_merged_letters_in_is_still_that_plan() -> None:
    fields = referral_of("Plan: Lantemtish CHIP")  # "rn" read as "m", "f" as "t"
    assert fields["plan"].normalized == "Lanternfish CHIP"
    assert fields["payer"].normalized == "lanternfish"


def test_a_date_caption_whose_d_was_read_as_b_is_still_the_date() -> None:
    placed = [
        *words("AUTHORIZATION STATUS UPDATE", y=100),
        *words("Bate", y=200),
        *words("03/23/2026", y=200, x=730),
        *words("Case #", y=260),
        *words("QF-PA-2026-4114824", y=260, x=730),
    ]
    fields, _ = extract_fields(DocType.PAYER_LETTER, "letter", [page_of(placed)])
    assert fields["letter_date"].normalized == "2026-03-23"


def test_a_tax_line_whose_caption_ocr_lost_is_found_by_the_sum() -> None:
    lines = ("Subtotal EUR 1.645,06", "BIW 9% 148,06", "TOTAL EUR 1.793,12")
    fields, _ = extract_fields(DocType.INVOICE, "inv", [page(*lines)])
    assert fields["tax"].normalized == "148.06"
    assert fields["tax"].confidence < AUTO_ACCEPT
    # An amount that does not make net + tax = total is not the tax.
    wrong = ("Subtotal EUR 1.645,06", "BIW 9% 146,06", "TOTAL EUR 1.793,12")
    fields, _ = extract_fields(DocType.INVOICE, "inv", [page(*wrong)])
    assert "tax" not in fields


def test_a_procedure_code_ocr_cut_in_two_is_one_code() -> None:
    header = words("Procedure Code Description Units", y=100)
    cut = [*words("8! 162", y=170, gap=9), *words("BRCA1/BRCA2 full sequence", y=170, x=400)]
    units = words("1", y=170, x=1500)
    fields, _ = extract_fields(DocType.REFERRAL, "r", [page_of([*header, *cut, *units])])
    assert fields["procedure_codes"].normalized == [{"code": "81162", "units": 1}]
    # Two words a column apart are two cells, not one code.
    apart = [*words("8!", y=170), *words("162", y=170, x=300), *units]
    fields, _ = extract_fields(DocType.REFERRAL, "r", [page_of([*header, *apart])])
    assert "procedure_codes" not in fields


def test_an_authorization_number_in_its_payers_format_is_the_reference() -> None:
    letter = page("Tumbleweed Mutual", "vate il TWM2026021089427", "IPSUMFORD, MARK")
    fields, _ = extract_fields(DocType.PAYER_LETTER, "letter", [letter])
    assert fields["reference_number"].normalized == "TWM2026021089427"
    assert fields["reference_number"].confidence < AUTO_ACCEPT
    # Two such numbers: which one is this letter's is not for a guess.
    two = page("vate il TWM2026021089427", "see also LCC-26-07603354")
    fields, _ = extract_fields(DocType.PAYER_LETTER, "letter", [two])
    assert "reference_number" not in fields


def test_a_facility_under_the_servicing_heading_is_the_rendering_provider() -> None:
    def form(facility: list[OcrWord]) -> PageResult:
        return page_of(
            [
                *words("3. SERVICING PROVIDER / FACILITY", y=100),
                *_guessed(words("tame fy", y=160), 30),  # "Name" and "NPI", garbled
                *facility,
                *words("2869736392", y=220, x=880),  # an NPI misread: it fails its check
            ]
        )

    fields, _ = extract_fields(
        DocType.PA_REQUEST, "pa", [form(words("Example Infusion Suites", y=220))]
    )
    assert fields["rendering_provider_name"].normalized == "Example Infusion Suites"
    assert fields["rendering_provider_name"].confidence < AUTO_ACCEPT
    # A name OCR could hardly read there is left out.
    garbled = _guessed(words("Peample Haight. Radiology", y=220), 45)
    fields, _ = extract_fields(DocType.PA_REQUEST, "pa", [form(garbled)])
    assert "rendering_provider_name" not in fields


def test_a_reference_whose_last_digit_ocr_set_apart_gets_it_back() -> None:
    cell = [*words("PO-2026-51", y=100, x=860), *words("1", y=100, x=1017, gap=0)]
    parsed = parse_reference(cell, DateContext())
    assert parsed is not None and parsed.normalized == "PO-2026-511"
    # A number a space or more away is a word of its own.
    apart = [*words("PO-2026-51", y=100, x=860), *words("1", y=100, x=1030)]
    parsed = parse_reference(apart, DateContext())
    assert parsed is not None and parsed.normalized == "PO-2026-51"


def test_a_date_with_a_digit_read_as_a_letter_still_reads() -> None:
    fields = referral_of("Requested Start Date: 2026-U4-24")  # an open-topped 0 read as U
    assert fields["date_of_service"].normalized == "2026-04-24"
    assert fields["date_of_service"].confidence < AUTO_ACCEPT
    # More than one letter: that is a word, not a misread date.
    assert "date_of_service" not in referral_of("Requested Start Date: C6/I7/202b")

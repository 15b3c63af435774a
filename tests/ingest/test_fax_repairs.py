"""OCR slips on fax pages that extraction mends, each behind a validator, at lower confidence."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from PIL import Image, ImageDraw
from tests.ingest.placed import page, page_of, referral_of, word_at, words

from caredesk.domain.documents import (
    DocType,
    OcrWord,
)
from caredesk.ingest.extract import extract_fields
from caredesk.ingest.extract.arithmetic import (
    quantity_from_prices,
    repaired_amount,
    repaired_quantity_amount,
    shared_prefix_codes,
)
from caredesk.ingest.extract.clinical_codes import icd_codes, procedure_code
from caredesk.ingest.extract.coded import codes_with_words
from caredesk.ingest.extract.engine import DocumentView, birth_date_by_age, member_id_in_rows
from caredesk.ingest.extract.layout import LabelIndex, close, rows_of
from caredesk.ingest.extract.line_items import checked_amount, item_code, item_description
from caredesk.ingest.extract.parsers import (
    REPAIRED_ID_QUALITY,
    REPAIRED_NPI_QUALITY,
    amount_groups,
    parse_member_id,
    parse_npi,
    parse_person,
    parse_reference,
)
from caredesk.ingest.extract.payers import parse_payer, parse_plan, payer_misspelt, plan_anywhere
from caredesk.ingest.extract.referral import PHRASES, extract_referral
from caredesk.ingest.extract.unlabelled import npis_by_section
from caredesk.ingest.extract.values import DateContext
from caredesk.ingest.preprocess import estimate_skew

CONTEXT = DateContext()


# --- ids, codes and names ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("printed", "expected"),
    [
        ("TWIN39283717", "TWM-39283717"),
        ("TWVM-64527608", "TWM-64527608"),
        ("OFH251526035", "QFH251526035"),
    ],
)
def test_a_garbled_payer_prefix_is_repaired_when_the_digits_fit(
    printed: str, expected: str
) -> None:
    parsed = parse_member_id(words(printed), CONTEXT)
    assert parsed is not None and parsed.normalized == expected
    assert parsed.quality == REPAIRED_ID_QUALITY


def test_a_known_prefix_keeps_full_quality_and_an_unknown_one_stays() -> None:
    parsed = parse_member_id(words("QFH 251526035"), CONTEXT)
    assert parsed is not None and parsed.normalized == "QFH251526035" and parsed.quality == 1.0
    other = parse_member_id(words("ABC1234567"), CONTEXT)
    assert other is not None and other.normalized == "ABC1234567"


def test_a_member_id_is_found_without_its_label_only_in_its_payers_exact_format() -> None:
    view = DocumentView(
        "d", [page("Member Neo. QFH251526035", "Phone 555-0101")], LabelIndex(PHRASES)
    )
    found = member_id_in_rows(view)
    assert found is not None and found.parsed.normalized == "QFH251526035"
    assert found.label_score < 0.9
    short = DocumentView("d", [page("Ref QFH25152603")], LabelIndex(PHRASES))
    assert member_id_in_rows(short) is None  # eight digits: not a Quillfeather id


def test_a_member_id_split_after_its_first_digit_or_one_slip_off_is_still_found() -> None:
    split = parse_member_id(words("QFH1 76459456"), CONTEXT)
    assert split is not None and split.normalized == "QFH176459456"
    view = DocumentView("d", [page("1D #7 QFA774577412")], LabelIndex(PHRASES))
    found = member_id_in_rows(view)
    assert found is not None and found.parsed.normalized == "QFH774577412"
    assert found.parsed.quality == REPAIRED_ID_QUALITY
    assert parse_member_id(words("~£CC1 3201702321"), CONTEXT) is None  # too garbled to trust


def test_plans_forgive_a_misspelt_word() -> None:
    parsed = parse_plan(words("Lanternfish Modicaid"), CONTEXT)
    assert parsed is not None and parsed.normalized == "Lanternfish Medicaid"
    assert parsed.quality < 1.0


def test_an_npi_failing_its_check_digit_is_mended_or_dropped() -> None:
    good = parse_npi(words("1033885173"), CONTEXT)
    assert good is not None and good.normalized == "1033885173" and good.quality == 1.0
    mended = parse_npi(words("1033685173"), CONTEXT)  # 8 read as 6: only one slip passes
    assert mended is not None and mended.normalized == "1033885173"
    assert mended.quality == REPAIRED_NPI_QUALITY
    assert parse_npi(words("1633885173"), CONTEXT) is None  # no usual slip makes it pass


@pytest.mark.parametrize(
    ("printed", "expected"),
    [
        ("$1-044578", "SI-044578"),
        ("CUST -70458", "CUST-70458"),
        ("QF-PA~2026-4114824", "QF-PA-2026-4114824"),
        ("F2026-46843", "F2026-46843"),
        ("PO-2026-705", "PO-2026-705"),
        ("LCG-26-04420381", "LCC-26-04420381"),
    ],
)
def test_references_keep_their_letter_prefix(printed: str, expected: str) -> None:
    parsed = parse_reference(words(printed), CONTEXT)
    assert parsed is not None and parsed.normalized == expected


@pytest.mark.parametrize(
    ("printed", "expected"),
    [
        (". Crystal Loremton", "Crystal Loremton"),
        ("Or. Jordan imitato", "Jordan Imitato"),
        ("Brian (psumford", "Brian Ipsumford"),
        ("Michael Fictionby DOG: 1969-11-25", "Michael Fictionby"),
        ("LOREMTON,. CRYSTAL", "Crystal Loremton"),
        ("(psumford, Brian", "Brian Ipsumford"),
        ("Brian \\psumford", "Brian Ipsumford"),
        ("Or Aaron Counterfeit, MD", "Aaron Counterfeit"),
    ],
)
def test_person_names_shed_fax_noise(printed: str, expected: str) -> None:
    parsed = parse_person(words(printed), CONTEXT)
    assert parsed is not None and parsed.normalized == expected


def test_an_icd_code_split_at_its_dot_is_joined_when_real() -> None:
    found = [code for code, _ in codes_with_words(words("M17 11 | Unilateral primary"))]
    assert found == ["M17.11"]
    assert [c for c, _ in codes_with_words(words("M54.16 Radiculopathy"))] == ["M54.16"]


def test_digits_read_as_look_alikes_in_a_diagnosis_column_are_mended() -> None:
    found = codes_with_words(words("K&0 20 | Calculus of gallbladder"))
    assert [(code, word.text) for code, word in found] == [("K80.20", "K&0")]  # as printed
    assert [c for c, _ in codes_with_words(words("MS416 Radiculopathy, lumbar"))] == ["M54.16"]
    assert [c for c, _ in codes_with_words(words("G4/.33 Obstructive sleep apnea"))] == ["G47.33"]
    assert codes_with_words(words("MS Multiple sclerosis")) == []


@pytest.mark.parametrize(
    ("printed", "lenient", "expected"),
    [
        ("€50.911 Malignant neoplasm of right female breast", False, ["C50.911"]),
        ("©50.911 Malignant neoplasm", False, ["C50.911"]),
        ("£11.9 Type 2 diabetes", False, ["E11.9"]),
        # Two decimals could be a price: a code only under a diagnosis label or column.
        ("Total €11.65 due", False, []),
        ("€11.65 Type 2 diabetes mellitus with hyperglycemia", True, ["E11.65"]),
    ],
)
def test_an_icd_letter_read_as_a_currency_sign_becomes_the_letter_of_a_real_code(
    printed: str, lenient: bool, expected: list[str]
) -> None:
    assert icd_codes(printed, lenient=lenient) == expected


def test_a_hcpcs_e_code_read_with_a_pound_sign_is_mended() -> None:
    assert procedure_code("[95806") == "95806"  # the table's rule read as a bracket
    assert procedure_code("£0601") == "E0601"
    assert procedure_code("€0250") == "E0250"
    assert procedure_code("£60") is None


def test_dob_label_read_with_zeros_still_matches() -> None:
    assert close("008", "dob")
    assert not close("date", "dale")


def test_a_misread_bullet_does_not_hide_the_label_after_it() -> None:
    (row,) = rows_of(page("¢ Diagnosis G47.33 Obstructive sleep apnea"))
    hits = LabelIndex(PHRASES).find([row])
    assert any(hit.phrase == "Diagnosis" for hit in hits)


def test_an_npi_without_label_goes_to_the_section_that_names_its_owner() -> None:
    view = DocumentView(
        "d",
        [page("Referring Provider Dr. Phillip Ersatzberg, MD", "NOI # 1705171076")],
        LabelIndex(PHRASES),
    )
    owners = {"ordering": "ordering_provider_npi", "rendering": "rendering_provider_npi"}
    found = npis_by_section(view, owners, taken=())
    assert set(found) == {"ordering_provider_npi"}
    assert found["ordering_provider_npi"].parsed.normalized == "1705171076"
    assert npis_by_section(view, owners, taken={"1705171076"}) == {}


def test_payers_and_plans_are_recognised_through_slips() -> None:
    assert payer_misspelt("Quilifeather Feaith") == "quillfeather"
    assert payer_misspelt("Tumbleweed and Lanternfish") is None  # two payers: no guess
    parsed = parse_payer(words("Lantemfish Community Care"), CONTEXT)
    assert parsed is not None and parsed.normalized == "lanternfish" and parsed.quality < 1.0
    plan = plan_anywhere(words("Tumbleweed Mutual Tumbleweed Premier PPO TWM-21059470"))
    assert plan is not None and plan.normalized == "Tumbleweed Premier PPO"
    assert [w.text for w in plan.words] == ["Tumbleweed", "Premier", "PPO"]


def test_the_one_old_date_is_the_birth_date_when_its_caption_is_lost() -> None:
    view = DocumentView(
        "d",
        [
            page(
                "Patient Name Mockingbird, Michele",
                "0.0.8: 2009-09-13",
                "Date of Service 05/15/2026",
            )
        ],
        LabelIndex(PHRASES),
    )
    found = birth_date_by_age(view)
    assert found is not None and found.parsed.normalized == "2009-09-13"
    assert found.label_score < 0.9
    recent = DocumentView("d", [page("Seen 05/01/2026", "Next 06/01/2026")], LabelIndex(PHRASES))
    assert birth_date_by_age(recent) is None


@pytest.mark.parametrize("mark", ["“8", "/sf", "sf"])
def test_the_signer_is_the_orderer_even_when_ocr_garbles_the_signature_mark(mark: str) -> None:
    pages = [
        page("Thank you for seeing this patient.", f"{mark} Dr. Steven Ersatzberg, MD", "NPI: 1")
    ]
    fields = extract_referral(DocumentView("d", pages, LabelIndex(PHRASES)))
    assert fields["ordering_provider_name"].normalized == "Steven Ersatzberg"
    assert fields["ordering_provider_name"].confidence < 0.9
    plain = [page("Seen by Dr. Steven Ersatzberg today.")]
    assert "ordering_provider_name" not in extract_referral(
        DocumentView("d", plain, LabelIndex(PHRASES))
    )


# --- invoice arithmetic ---------------------------------------------------------------------
def test_quantity_times_unit_price_mends_one_misread_figure() -> None:
    assert quantity_from_prices(Decimal("1340.70"), Decimal("446.90")) == "3"
    assert quantity_from_prices(Decimal("162.16"), Decimal("38.04")) is None
    assert repaired_amount(Decimal("289.70"), 3, Decimal("99.90")) == Decimal("299.70")
    assert repaired_amount(Decimal("299.70"), 3, Decimal("99.90")) is None
    assert repaired_amount(Decimal("100.00"), 3, Decimal("99.90")) is None  # not one slip
    assert repaired_quantity_amount(Decimal("162.16"), Decimal("38.04")) == ("4", Decimal("152.16"))


def test_checked_amount_derives_lost_or_misread_counts() -> None:
    assert checked_amount("289.70", "3", "99.90") == ("299.70", "3", True)
    assert checked_amount("20.19", "32", "6.73") == ("20.19", "3", True)
    assert checked_amount("1340.70", "", "446.90") == ("1340.70", "3", True)
    assert checked_amount("65.22", "1", "65.22") == ("65.22", "1", False)
    assert checked_amount("65.22", "", None) == ("65.22", "", False)
    # An amount vouched for (the items add up to the subtotal) is kept; a lost count is not.
    assert checked_amount("289.70", "3", "99.90", trust_amount=True) == ("289.70", "3", False)
    assert checked_amount("1340.70", "", "446.90", trust_amount=True) == ("1340.70", "3", True)


def test_receipt_amounts_that_add_up_to_the_subtotal_are_not_mended_to_a_misread_price() -> None:
    receipt = page(
        "Receipt no: 202621461",
        "VZ-40218 CPAP humidifier chamber",
        "6 x 57,67 346,02",
        "VZ-88001 Shipping and handling",
        "1 x 13,22 43,22",  # the unit price is the misread figure: 43,22
        "SUBTOTAL 389,24",
    )
    fields, items = extract_fields(DocType.INVOICE, "receipt", [receipt])
    assert fields["subtotal"].normalized == "389.24"
    assert [(i.code, i.quantity, i.amount) for i in items] == [
        ("VZ-40218", "6", "346.02"),
        ("VZ-88001", "1", "43.22"),
    ]


def test_article_codes_share_the_tables_prefix() -> None:
    codes = ["VZ-51007", "VZ-40211", "VVZ-40218", "VZZ2-88001", "VZ-70315"]
    assert shared_prefix_codes(codes) == [
        "VZ-51007",
        "VZ-40211",
        "VZ-40218",
        "VZ-88001",
        "VZ-70315",
    ]
    assert shared_prefix_codes(["SO-1", "SOO-2"]) == ["SO-1", "SOO-2"]  # no majority: left alone
    assert item_code("£0271") == "E0271"
    assert item_code("MM~51130") == "MM-51130"
    assert item_code("SO-51007 |") == "SO-51007"
    assert item_description(words("Arthroscopy blade (box of 5}")) == "Arthroscopy blade (box of 5)"


def test_a_currency_sign_does_not_split_an_amount_with_a_thousands_space() -> None:
    groups = amount_groups(words("Net amount €1 522.08", gap=6))
    assert [" ".join(w.text for w in g) for g in groups] == ["€1 522.08"]


# --- reading ----------------------------------------------------------------------------------
def test_a_level_streak_does_not_pin_the_skew_of_a_faint_page(form_image: Image.Image) -> None:
    turned = form_image.rotate(3.0, fillcolor=255)
    draw = ImageDraw.Draw(turned)
    for row in range(300, 3000, 400):  # a dirty fax head's level streaks across the page
        draw.line([(0, row), (turned.width, row)], fill=0, width=3)
    ink = (np.asarray(turned.convert("L")) < 128).astype(np.uint8)
    assert estimate_skew(ink, max_angle=15, dpi=300) == pytest.approx(-3.0, abs=0.3)


def test_requested_items_follow_a_misread_request_sentence_after_a_blank_line() -> None:
    lines = [
        (100, "We need the following infurmation to complete our review. Please fax it."),
        # A blank line, then the list: the first item stands 3 lines below, the rest close.
        (190, "* Office notes from the last 6 months"),
        (240, "¢ Sleep study report including AH!"),
        (290, "* Prior imaging reports"),
        (600, "Sincerely,"),
    ]
    found = [w for y, text in lines for w in words(text, y=y)]
    letter = page_of(found)
    fields, _ = extract_fields(DocType.PAYER_LETTER, "letter", [letter])
    assert fields["requested_items"].normalized == [
        "Office notes from the last 6 months",
        "Sleep study report including AHI",
        "Prior imaging reports",
    ]


def test_a_lone_digit_too_narrow_for_anything_but_a_one_is_read_as_one() -> None:
    header = words("Procedure Code Service requested", y=100) + words("Units", y=100, x=1500)
    row = words("81408 Molecular pathology procedure, level 9", y=160)
    # OCR read the "1" beside the table's rule as "4"; its ink is 7 px wide
    narrow = word_at(1590, 160, "4", width=7, confidence=75)
    wide = narrow.model_copy(update={"bbox": narrow.bbox.model_copy(update={"x0": 1582})})
    for unit, expected in ((narrow, 1), (wide, 4)):
        form = page_of((*header, *row, unit))
        fields, _ = extract_fields(DocType.REFERRAL, "referral", [form])
        assert fields["procedure_codes"].normalized == [{"code": "81408", "units": expected}]


def test_providers_beside_npis_are_found_when_ocr_lost_their_captions() -> None:
    garbled = [
        "Refacing Proves",
        "| Dr. Stacy Simulacra, MD 1071451573",
        "Secwe yg Provitet Vuciity Nii",
        "Sample Valley Sleep Lab 2694103401",
    ]
    fields = referral_of(*garbled)
    assert fields["ordering_provider_name"].normalized == "Stacy Simulacra"
    assert fields["ordering_provider_npi"].normalized == "1071451573"
    assert fields["rendering_provider_name"].normalized == "Sample Valley Sleep Lab"
    assert fields["rendering_provider_npi"].normalized == "2694103401"
    assert all(field.confidence < 0.9 for field in fields.values())
    # Two clinicians beside NPIs: which one ordered is anyone's guess, so neither is taken.
    two = [*garbled[:2], "Dr. Jane Placeholder, DO 1234567893"]
    fields = referral_of(*two)
    assert "ordering_provider_name" not in fields


@pytest.mark.parametrize("caption", ["Medical Necessity |", "Medical Nacessity"])
def test_a_reason_caption_with_a_rule_mark_or_a_slip_still_heads_the_reason(caption: str) -> None:
    lines = [caption, "Suspected obstructive sleep apnea. Loud snoring."]
    fields = referral_of(*lines)
    assert (
        fields["clinical_reason"].normalized == "Suspected obstructive sleep apnea. Loud snoring."
    )


def test_invoice_items_survive_rules_ocr_read_between_and_beside_them() -> None:
    columns = {
        "pos": 130,
        "code": 220,
        "description": 420,
        "qty": 1060,
        "unit": 1180,
        "amount": 1380,
    }

    def row(y: float, **cells: str) -> list[OcrWord]:
        return [w for name, text in cells.items() for w in words(text, y=y, x=columns[name])]

    table = [
        *row(100, pos="Pos.", code="Art.-Nr.", description="Description", qty="Qty")
        + row(100, unit="Unit price", amount="Amount"),
        # Both decimal points lost: 3 x 99.90 = 299.70 vouches for them.
        *row(150, pos="1", code="SO-51130", description="Lumbar support brace [", qty="3")
        + row(150, unit="99 90", amount="299 70"),
        *row(190, qty="|"),  # the rule under the row
        *row(220, pos="2", code="$O-62044", description="| Arthroscopy shaver blade", qty="1")
        + row(220, unit="612.03", amount="612.03"),
        *row(270, pos="3", code="SO-51007-———_", description="Hinged knee orthosis", qty="2")
        + row(270, unit="253.49", amount="506.98"),
        *row(340, description="Net amount", amount="1418.71"),
    ]
    invoice = page_of(table)
    _, items = extract_fields(DocType.INVOICE, "invoice", [invoice])
    assert [(i.code, i.quantity, i.amount, i.description) for i in items] == [
        ("SO-51130", "3", "299.70", "Lumbar support brace"),
        ("SO-62044", "1", "612.03", "Arthroscopy shaver blade"),
        ("SO-51007", "2", "506.98", "Hinged knee orthosis"),
    ]


def test_a_caption_with_one_letter_wrong_in_a_short_word_is_still_a_label() -> None:
    index = LabelIndex(["Payment due", "Net amount", "Date", "Due"])
    rows = rows_of(page("Payment Duo 29/03/2026", "Not amount £379.80", "Dale 05/18/2026"))
    found = {row.index: [hit.phrase for hit in index.find([row])] for row in rows}
    assert found == {0: ["Payment due"], 1: ["Net amount"], 2: []}


def test_a_boxed_caption_takes_its_value_below_when_far_right_is_a_garbled_caption() -> None:
    captions = words("Name", y=100, x=128) + words("Buth Date", y=100, x=950)
    captions += words("Sex", y=100, x=1400)
    values = words("SANDBOXLEY, TINA", y=140, x=135) + words("October 18, 1961", y=140, x=957)
    values += words("F", y=140, x=1407)
    form = page_of((*words("PATIENT INFORMATION", y=40), *captions, *values))
    fields = extract_referral(DocumentView("d", [form], LabelIndex(PHRASES)))
    assert fields["patient_name"].normalized == "Tina Sandboxley"
    # Lines of "Caption      value" are not a caption row: the value is the one to the right.
    lines = words("Referring Provider", y=100, x=148) + words(
        "Dr. Phillip Ersatzberg, MD", y=100, x=900
    )
    lines += words("NOL #", y=160, x=148) + words("1705171076", y=160, x=900)
    form = form.model_copy(update={"words": tuple(lines)})
    fields = extract_referral(DocumentView("d", [form], LabelIndex(PHRASES)))
    assert fields["ordering_provider_name"].normalized == "Phillip Ersatzberg"


def test_an_npi_whose_caption_lost_its_owner_goes_to_the_clinician_printed_beside_it() -> None:
    lines = words("Rete fing Provider", y=100, x=130) + words("NPI", y=100, x=1000)
    lines += words("Dr Brandon Replicant, MD", y=140, x=130) + words("1064567476", y=140, x=1000)
    form = page_of(lines)
    fields = extract_referral(DocumentView("d", [form], LabelIndex(PHRASES)))
    assert fields["ordering_provider_npi"].normalized == "1064567476"
    assert "rendering_provider_npi" not in fields


def test_a_note_diagnosis_split_at_its_dot_is_the_whole_code() -> None:
    note = page(
        "Assessment",
        "Obstructive sleep apnea suspected.",
        "G47 33 Obstructive sleep apnea (adult) (pediatric)",
    )
    fields, _ = extract_fields(DocType.CLINICAL_NOTE, "note", [note])
    assert fields["diagnosis_codes"].normalized == ["G47.33"]


def test_a_facility_beside_an_npi_owns_it_though_a_word_of_its_name_is_near_physician() -> None:
    garbled = [
        "Porter Provaiee",
        "Lynn Facsimile, NP",
        "Rendonny Prawider",
        "Placeholder Physical Therapy 2065437545",
    ]
    fields = referral_of(*garbled)
    assert fields["rendering_provider_npi"].normalized == "2065437545"
    assert fields["rendering_provider_name"].normalized == "Placeholder Physical Therapy"
    assert "ordering_provider_npi" not in fields


def test_the_name_over_a_signature_of_ordering_provider_caption_is_the_orderer() -> None:
    lines = [
        "Roplicant, NP 1421633326",  # the caption lost, the first name too: only the NPI holds
        "I certify that the services ordered are medically necessary.",
        "is’ Kyle Replicant,",
        "NBO",
        "Signature of ordering provider",
    ]
    placed = [w for i, line in enumerate(lines) for w in words(line, y=100 + 60 * i)]
    form = page_of([*placed, *words("Date signed: 5/16/2026", y=220, x=960)])
    fields = extract_referral(DocumentView("d", [form], LabelIndex(PHRASES)))
    assert fields["ordering_provider_name"].normalized == "Kyle Replicant"
    assert fields["ordering_provider_name"].confidence < 0.9
    assert fields["ordering_provider_npi"].normalized == "1421633326"


def test_a_letterhead_ends_before_the_dash_that_parts_it_from_the_title() -> None:
    header = words("Voorbeeld Zorgtechniek B.V. -", y=100, gap=12)
    header += words("Factuur / Invoice", y=100, x=1400)
    fields, _ = extract_fields(DocType.INVOICE, "invoice", [page_of(header)])
    assert fields["vendor_name"].value == "Voorbeeld Zorgtechniek B.V."


@pytest.mark.parametrize(
    ("printed", "expected"),
    [("Priority: [ ] Fxpedited [X] STANOARD", "standard"), ("Priority: EXPEDlTED", "expedited")],
)
def test_urgency_options_are_read_through_one_ocr_slip(printed: str, expected: str) -> None:
    assert referral_of(printed)["urgency"].normalized == expected


def test_a_short_caption_with_one_letter_wrong_is_a_label_only_when_it_stands_apart() -> None:
    set_apart = page_of([*words("bos", x=100), *words("04/04/26", x=700)])
    view = DocumentView("d", [set_apart], LabelIndex(PHRASES))
    service = extract_referral(view)["date_of_service"]
    assert service.normalized == "2026-04-04"
    assert service.confidence < 0.9, "a caption read through a slip is never auto-accepted"
    assert "date_of_service" not in referral_of("bos 04/04/26"), "run on: could be any word"
    tax, _ = extract_fields(DocType.INVOICE, "invoice", [page("Tox: 5.00", "Total: 105.00")])
    assert tax["tax"].normalized == "5.00" and tax["tax"].confidence < 0.9
    # A caption OCR split in two ("D OB") is not a slip: it keeps the score of the whole word.
    glued = referral_of("D OB: 04/04/1980")["date_of_birth"]
    assert glued.confidence == referral_of("DOB: 04/04/1980")["date_of_birth"].confidence

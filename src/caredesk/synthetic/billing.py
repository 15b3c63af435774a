"""Invoices, bills and receipts from fictional suppliers at home and abroad."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from random import Random
from typing import Any

from caredesk.synthetic import world
from caredesk.synthetic.facts import ANCHOR
from caredesk.synthetic.printing import MONEY_STYLES, MoneyStyle, canonical_amount, to_cents


@dataclass(frozen=True)
class Vendor:
    """A supplier that bills the practice; abroad ones bill in their own currency."""

    name: str
    country: str
    address: tuple[str, ...]
    tax_id: str
    bank: str


VENDORS: tuple[Vendor, ...] = (
    Vendor(
        "Sample Valley Medical Supply",
        "us",
        ("410 Sample Avenue", "Riverton, ZZ 00002"),
        "EIN 00-0000412",
        "Remit to: PO Box 0100, Riverton, ZZ 00002",
    ),
    Vendor(
        "Placeholder Home Respiratory",
        "us",
        ("88 Example Road", "Springfield, ZZ 00001"),
        "EIN 00-0000735",
        "ACH: Example Community Bank, routing on file",
    ),
    Vendor(
        "Example Ridge Imaging Billing",
        "us",
        ("5 Example Boulevard", "Lakeside, ZZ 00003"),
        "EIN 00-0000981",
        "Pay online at billing.example",
    ),
    Vendor(
        "Mockingham Medical Devices Ltd",
        "uk",
        ("Unit 4, Sample Trading Estate", "Exampleton ZZ1 0ZZ", "United Kingdom"),
        "VAT Reg. No. GB 000 0000 00",
        "Sort code 00-00-00  Account 00000000",
    ),
    Vendor(
        "Beispiel Medizintechnik GmbH",
        "de",
        ("Musterstraße 12", "00000 Beispielstadt", "Deutschland"),
        "USt-IdNr. DE000000000",
        "IBAN DE00 0000 0000 0000 0000 00",
    ),
    Vendor(
        "Exemple Santé SARL",
        "fr",
        ("3 rue de l'Exemple", "00000 Villexemple", "France"),
        "TVA FR00 000000000",
        "IBAN FR00 0000 0000 0000 0000 0000 000",
    ),
    Vendor(
        "Sampla Orthotics Ltd",
        "ie",
        ("Unit 9, Sample Business Park", "Dublin X00", "Ireland"),
        "VAT IE0000000X",
        "IBAN IE00 EXMP 0000 0000 0000 00",
    ),
    Vendor(
        "Voorbeeld Zorgtechniek B.V.",
        "nl",
        ("Voorbeeldweg 21", "0000 XX Voorbeeldstad", "Nederland"),
        "BTW NL000000000B01",
        "IBAN NL00 EXMP 0000 0000 00",
    ),
)

# (code, description, low price, high price, largest quantity) in the vendor's currency.
US_ITEMS: tuple[tuple[str, str, int, int, int], ...] = (
    ("E0601", world.PROCEDURES["E0601"], 850, 1200, 1),
    ("A7030", world.SUPPLIES["A7030"], 120, 180, 1),
    ("A7034", world.SUPPLIES["A7034"], 90, 140, 1),
    ("A7037", world.SUPPLIES["A7037"], 25, 45, 2),
    ("A7038", world.SUPPLIES["A7038"], 3, 6, 6),
    ("E0562", world.SUPPLIES["E0562"], 220, 300, 1),
    ("E0250", world.PROCEDURES["E0250"], 1400, 2100, 1),
    ("E0271", world.SUPPLIES["E0271"], 180, 260, 1),
    ("E0910", world.SUPPLIES["E0910"], 90, 160, 1),
    ("K0823", world.PROCEDURES["K0823"], 4800, 6500, 1),
    ("E2601", world.SUPPLIES["E2601"], 60, 110, 1),
    ("E0143", world.PROCEDURES["E0143"], 65, 120, 1),
    ("72148", world.PROCEDURES["72148"], 1250, 2400, 1),
    ("74177", world.PROCEDURES["74177"], 1500, 2900, 1),
    ("95810", world.PROCEDURES["95810"], 1800, 3100, 1),
    ("97110", world.PROCEDURES["97110"], 40, 60, 4),
    ("J0135", world.PROCEDURES["J0135"], 2900, 3400, 2),
)
ABROAD_ITEMS: tuple[tuple[str, str, int, int, int], ...] = (
    ("40211", "CPAP full face mask, size M", 95, 160, 4),
    ("40218", "CPAP humidifier chamber", 35, 60, 6),
    ("51007", "Hinged knee orthosis, right", 180, 340, 2),
    ("51130", "Lumbar support brace, adjustable", 70, 130, 3),
    ("62044", "Arthroscopy shaver blade 4.5 mm (box of 5)", 420, 690, 3),
    ("62090", "Sterile drape set, knee", 38, 75, 10),
    ("70315", "Infusion pump tubing set", 12, 24, 25),
    ("70340", "Sharps container 5 L", 6, 11, 12),
    ("88001", "Shipping and handling", 25, 90, 1),
)


@dataclass(frozen=True)
class InvoiceLine:
    code: str
    description: str
    quantity: int
    unit_price: Decimal

    @property
    def amount(self) -> Decimal:
        return to_cents(self.unit_price * self.quantity)


@dataclass(frozen=True)
class InvoiceFacts:
    """An invoice whose line items sum to the subtotal, and subtotal plus tax to the total."""

    vendor: Vendor
    money: MoneyStyle
    invoice_number: str
    invoice_date: date
    due_date: date
    account_reference: str
    bill_to: tuple[str, ...]
    lines: tuple[InvoiceLine, ...]
    tax_rate: Decimal

    @property
    def subtotal(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))

    @property
    def tax(self) -> Decimal:
        return to_cents(self.subtotal * self.tax_rate)

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.tax

    def truth_fields(self) -> dict[str, Any]:
        return {
            "vendor_name": self.vendor.name,
            "invoice_number": self.invoice_number,
            "invoice_date": self.invoice_date.isoformat(),
            "due_date": self.due_date.isoformat(),
            "subtotal": canonical_amount(self.subtotal),
            "tax": canonical_amount(self.tax),
            "total_amount": canonical_amount(self.total),
            "currency": self.money.currency,
            "account_reference": self.account_reference,
        }

    def truth_line_items(self) -> list[dict[str, Any]]:
        return [
            {
                "code": line.code,
                "description": line.description,
                "quantity": line.quantity,
                "amount": canonical_amount(line.amount),
            }
            for line in self.lines
        ]


def _invoice_number(rng: Random, country: str, when: date) -> str:
    serial = rng.randint(100, 99999)
    return {
        "us": f"INV-{when.year}-{serial:05d}",
        "uk": f"SI-{serial:06d}",
        "de": f"RE-{when:%y}-{serial:05d}",
        "fr": f"F{when.year}-{serial:05d}",
        "ie": f"{serial:06d}",
        "nl": f"{when.year}{serial:05d}",
    }[country]


def _account_reference(rng: Random, country: str) -> str:
    number = rng.randint(10000, 99999)
    if country == "us":
        return rng.choice((f"ACCT-{number}", f"PO-2026-{number % 1000:03d}"))
    return rng.choice((f"CUST-{number}", f"PO-2026-{number % 1000:03d}", f"K{number}"))


def _lines(rng: Random, vendor: Vendor) -> tuple[InvoiceLine, ...]:
    catalogue = US_ITEMS if vendor.country == "us" else ABROAD_ITEMS
    picked = rng.sample(catalogue, rng.randint(1, 5))
    lines = []
    for code, description, low, high, most in picked:
        cents = rng.randint(low * 100, high * 100)
        code_printed = code if vendor.country == "us" else f"{initials(vendor.name)}-{code}"
        lines.append(
            InvoiceLine(code_printed, description, rng.randint(1, most), Decimal(cents) / 100)
        )
    return tuple(lines)


def initials(name: str) -> str:
    return "".join(word[0] for word in name.split()[:2]).upper()


def make_invoice(rng: Random, vendor: Vendor | None = None) -> InvoiceFacts:
    vendor = vendor or rng.choice(VENDORS)
    money = MONEY_STYLES[vendor.country]
    issued = ANCHOR + timedelta(days=rng.randint(0, 150))
    clinic = rng.choice(world.CLINIC_NAMES + tuple(world.FACILITIES["surgery"]))
    return InvoiceFacts(
        vendor=vendor,
        money=money,
        invoice_number=_invoice_number(rng, vendor.country, issued),
        invoice_date=issued,
        due_date=issued + timedelta(days=rng.choice((14, 30, 30, 45))),
        account_reference=_account_reference(rng, vendor.country),
        bill_to=(
            clinic,
            "Attn: Accounts Payable",
            f"{rng.randint(10, 990)} Example Street",
            "Springfield, ZZ 00001, USA" if vendor.country != "us" else "Springfield, ZZ 00001",
        ),
        lines=_lines(rng, vendor),
        tax_rate=rng.choice(money.tax_rates),
    )

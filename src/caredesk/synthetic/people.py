"""Obviously fake but format-valid people, clinicians, facilities and vendors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from random import Random

from faker import Faker

from caredesk.domain.codes import npi_with_check_digit
from caredesk.synthetic import world

# Faker supplies first names and towns only; surnames come from the whimsical lists.
_FAKER = Faker("en_US")


@dataclass(frozen=True)
class Patient:
    """A fictional member of one of the shared world's payers."""

    first: str
    last: str
    sex: str
    birth_date: date
    street: str
    city: str
    state: str
    postal_code: str
    phone: str
    payer: world.Payer
    plan: str
    member_id: str

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


@dataclass(frozen=True)
class Clinician:
    """An ordering or referring clinician with a Luhn-valid NPI."""

    first: str
    last: str
    credential: str
    npi: str
    specialty: str
    clinic: str
    phone: str
    fax: str

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def display(self) -> str:
        prefix = "Dr. " if self.credential in {"MD", "DO"} else ""
        return f"{prefix}{self.first} {self.last}, {self.credential}"


@dataclass(frozen=True)
class Facility:
    """A rendering facility (imaging center, DME supplier, infusion suite...)."""

    name: str
    npi: str
    street: str
    city: str
    phone: str
    fax: str


def phone_number(rng: Random) -> str:
    """A number in the 555-0100–555-0199 block reserved for fiction."""
    return f"555-01{rng.randint(0, 99):02d}"


def npi(rng: Random, first_digit: str = "1") -> str:
    return npi_with_check_digit(first_digit + "".join(str(rng.randint(0, 9)) for _ in range(8)))


def member_id(rng: Random, payer: world.Payer) -> str:
    """Member ids carry the payer's prefix: QFH + 9 digits, TWM- + 8, LCC + 10."""
    digits = {"quillfeather": 9, "tumbleweed": 8, "lanternfish": 10}[payer.id]
    number = "".join(str(rng.randint(0, 9)) for _ in range(digits))
    return f"TWM-{number}" if payer.id == "tumbleweed" else f"{payer.short}{number}"


def _birth_date(rng: Random, plan: str, today: date) -> date:
    if "CHIP" in plan:
        years = rng.randint(2, 17)
    elif "Medicare" in plan:
        years = rng.randint(66, 88)
    else:
        years = rng.randint(22, 64)
    return today - timedelta(days=years * 365 + rng.randint(0, 364))


def _town(rng: Random) -> tuple[str, str, str]:
    _FAKER.seed_instance(rng.getrandbits(32))
    return _FAKER.city(), _FAKER.state_abbr(include_territories=False), _FAKER.zipcode()


def make_patient(rng: Random, today: date, payer: world.Payer | None = None) -> Patient:
    payer = payer or rng.choice(world.PAYERS)
    plan = rng.choice(payer.plans)
    sex = rng.choice("FM")
    _FAKER.seed_instance(rng.getrandbits(32))
    first = _FAKER.first_name_female() if sex == "F" else _FAKER.first_name_male()
    city, state, postal_code = _town(rng)
    return Patient(
        first=first,
        last=rng.choice(world.PATIENT_SURNAMES),
        sex=sex,
        birth_date=_birth_date(rng, plan, today),
        street=f"{rng.randint(10, 9899)} {rng.choice(world.STREETS)}",
        city=city,
        state=state,
        postal_code=postal_code,
        phone=phone_number(rng),
        payer=payer,
        plan=plan,
        member_id=member_id(rng, payer),
    )


SPECIALTIES = {
    "imaging": ("Family Medicine", "Neurology", "Orthopedics"),
    "sleep": ("Pulmonology", "Sleep Medicine", "Family Medicine"),
    "dme": ("Pulmonology", "Neurology", "Physical Medicine"),
    "infusion": ("Rheumatology", "Allergy & Immunology", "Dermatology"),
    "therapy": ("Orthopedics", "Physical Medicine", "Family Medicine"),
    "surgery": ("Orthopedic Surgery", "General Surgery", "Neurosurgery"),
    "lab": ("Oncology", "Medical Genetics", "Obstetrics & Gynecology"),
}


def make_clinician(rng: Random, facility_kind: str) -> Clinician:
    _FAKER.seed_instance(rng.getrandbits(32))
    first = _FAKER.first_name()
    credential = rng.choice(("MD", "MD", "MD", "DO", "NP"))
    return Clinician(
        first=first,
        last=rng.choice(world.CLINICIAN_SURNAMES),
        credential=credential,
        npi=npi(rng, "1"),
        specialty=rng.choice(SPECIALTIES[facility_kind]),
        clinic=rng.choice(world.CLINIC_NAMES),
        phone=phone_number(rng),
        fax=phone_number(rng),
    )


def make_facility(rng: Random, facility_kind: str) -> Facility:
    city, state, postal_code = _town(rng)
    return Facility(
        name=rng.choice(world.FACILITIES[facility_kind]),
        npi=npi(rng, "2"),
        street=f"{rng.randint(100, 999)} {rng.choice(world.STREETS)}",
        city=f"{city}, {state} {postal_code}",
        phone=phone_number(rng),
        fax=phone_number(rng),
    )

"""The shared fictional world: payers, plans, service lines, diagnoses and clinical evidence."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Payer:
    """A fictional payer as the whole project names it."""

    id: str
    name: str
    plans: tuple[str, ...]
    short: str
    phone: str
    fax: str
    street: str
    city: str


# fmt: off
PAYERS: tuple[Payer, ...] = (
    Payer("quillfeather", "Quillfeather Health",
          ("Quillfeather HMO", "Quillfeather PPO", "Quillfeather Medicare Advantage"),
          "QFH", "555-0140", "555-0141", "100 Example Plaza, Suite 400", "Springfield, ZZ 00001"),
    Payer("tumbleweed", "Tumbleweed Mutual",
          ("Tumbleweed Essential EPO", "Tumbleweed Premier PPO"),
          "TWM", "555-0150", "555-0151", "2 Sample Parkway", "Riverton, ZZ 00002"),
    Payer("lanternfish", "Lanternfish Community Care",
          ("Lanternfish Medicaid", "Lanternfish CHIP"),
          "LCC", "555-0160", "555-0161", "77 Placeholder Avenue", "Lakeside, ZZ 00003"),
)
# fmt: on
PAYERS_BY_ID = {payer.id: payer for payer in PAYERS}

# fmt: off
DIAGNOSES: dict[str, str] = {
    "M54.16": "Radiculopathy, lumbar region",
    "M51.26": "Other intervertebral disc displacement, lumbar region",
    "G47.33": "Obstructive sleep apnea (adult) (pediatric)",
    "M17.11": "Unilateral primary osteoarthritis, right knee",
    "K80.20": "Calculus of gallbladder without cholecystitis without obstruction",
    "C50.911": "Malignant neoplasm of unspecified site of right female breast",
    "Z80.3": "Family history of malignant neoplasm of breast",
    "L40.50": "Arthropathic psoriasis, unspecified",
    "M05.79": "Rheumatoid arthritis with rheumatoid factor of multiple sites without organ or "
        "systems involvement",
    "J45.50": "Severe persistent asthma, uncomplicated",
    "G35": "Multiple sclerosis",
    "R51.9": "Headache, unspecified",
    "G89.29": "Other chronic pain",
    "R10.11": "Right upper quadrant pain",
}

PROCEDURES: dict[str, str] = {
    "72148": "MRI lumbar spine without contrast",
    "72149": "MRI lumbar spine with contrast",
    "72158": "MRI lumbar spine without and with contrast",
    "70551": "MRI brain without contrast",
    "70552": "MRI brain with contrast",
    "70553": "MRI brain without and with contrast",
    "74176": "CT abdomen and pelvis without contrast",
    "74177": "CT abdomen and pelvis with contrast",
    "74178": "CT abdomen and pelvis without and with contrast",
    "78815": "PET/CT imaging, skull base to mid-thigh",
    "72100": "X-ray lumbosacral spine, 2 or 3 views",
    "95810": "Polysomnography, attended, 4 or more parameters",
    "95811": "Polysomnography with CPAP titration",
    "G0399": "Home sleep test, type III portable monitor",
    "95800": "Home sleep study, unattended, simultaneous recording",
    "95806": "Home sleep study, unattended, airflow and effort",
    "E0601": "Continuous positive airway pressure (CPAP) device",
    "E0250": "Hospital bed, fixed height, with side rails and mattress",
    "K0823": "Power wheelchair, group 2 standard, captain's chair",
    "E0143": "Walker, folding, wheeled, adjustable height",
    "J0135": "Injection, adalimumab, 20 mg",
    "J2357": "Injection, omalizumab, 5 mg",
    "J9312": "Injection, rituximab, 10 mg",
    "J1745": "Injection, infliximab, 10 mg",
    "97110": "Therapeutic exercise, each 15 minutes",
    "97112": "Neuromuscular reeducation, each 15 minutes",
    "97140": "Manual therapy techniques, each 15 minutes",
    "97161": "Physical therapy evaluation, low complexity",
    "97162": "Physical therapy evaluation, moderate complexity",
    "97163": "Physical therapy evaluation, high complexity",
    "29881": "Knee arthroscopy with meniscectomy",
    "63030": "Lumbar laminotomy with decompression, one interspace",
    "27447": "Total knee arthroplasty",
    "47562": "Laparoscopic cholecystectomy",
    "81162": "BRCA1/BRCA2 full sequence and del/dup analysis",
    "81408": "Molecular pathology procedure, level 9",
    "81479": "Unlisted molecular pathology procedure",
}

# Supplies that travel with DME on invoices; real HCPCS Level II codes.
SUPPLIES: dict[str, str] = {
    "A7030": "Full face mask used with positive airway pressure device",
    "A7034": "Nasal interface mask with headgear",
    "A7037": "Tubing used with positive airway pressure device",
    "A7038": "Disposable filter used with positive airway pressure device",
    "E0562": "Humidifier, heated, used with positive airway pressure device",
    "E0271": "Mattress, innerspring",
    "E0910": "Trapeze bar attached to bed",
    "E2601": "General use wheelchair seat cushion",
}
# fmt: on


@dataclass(frozen=True)
class EvidenceItem:
    """One piece of clinical evidence a payer checklist may ask for.

    `sentence` is a str.format template over the numbers `facts.evidence_values` draws;
    `keywords` are words a checklist matcher finds when the sentence is present.
    """

    id: str
    sentence: str
    keywords: tuple[str, ...]


def _ev(id_: str, sentence: str, *keywords: str) -> EvidenceItem:
    return EvidenceItem(id_, sentence, keywords)


# fmt: off
CONSERVATIVE = _ev(
    "conservative-therapy",
    "Failed {weeks} weeks of conservative therapy including physical therapy and NSAIDs "
    "(naproxen 500 mg twice daily).",
    "conservative therapy", "physical therapy", "weeks", "NSAIDs")
NEURO = _ev(
    "neurological-deficit",
    "Exam shows a neurological deficit: diminished {side} ankle reflex and decreased sensation "
    "in the L5 dermatome, {strength}/5 strength of great toe extension.",
    "neurological deficit", "reflex", "sensation", "strength")
XRAY = _ev(
    "prior-imaging",
    "Prior imaging: lumbar X-ray (72100) on {prior_date} showed degenerative disc disease "
    "without fracture.",
    "prior imaging", "X-ray", "degenerative")
FAILED_DMARD = _ev(
    "failed-dmard",
    "Inadequate response to methotrexate 20 mg weekly (conventional DMARD) for {months} months.",
    "methotrexate", "DMARD", "inadequate response", "months")
TB_TEST = _ev(
    "tb-screening", "Negative TB screening (QuantiFERON) on {prior_date}.",
    "TB", "QuantiFERON", "negative")
SLEEP_SYMPTOMS = _ev(
    "sleep-symptoms",
    "Loud snoring and witnessed apneas; Epworth Sleepiness Scale {ess}/24; BMI {bmi}.",
    "snoring", "witnessed apneas", "Epworth", "BMI")
BMI = _ev("bmi", "BMI {bmi} kg/m2 recorded at this visit.", "BMI", "kg/m2")
# fmt: on


@dataclass(frozen=True)
class ServiceLine:
    """A requested service: its codes, coherent diagnoses, the facility kind and its evidence."""

    key: str
    category: str
    codes: tuple[str, ...]
    units: tuple[int, int]
    diagnoses: tuple[str, ...]
    facility: str
    reason: str
    evidence: tuple[EvidenceItem, ...]
    needs_pa: bool = True


# fmt: off
SERVICES: tuple[ServiceLine, ...] = (
    ServiceLine(
        "mri-lumbar", "advanced imaging", ("72148", "72149", "72158"), (1, 1),
        ("M54.16", "M51.26"), "imaging",
        "Low back pain radiating to the {side} leg for {months} months.",
        (CONSERVATIVE, NEURO, XRAY)),
    ServiceLine(
        "mri-brain", "advanced imaging", ("70551", "70552", "70553"), (1, 1),
        ("R51.9", "G35"), "imaging", "New daily headaches for {weeks} weeks, worse on waking.",
        (_ev("neurological-deficit", "Exam shows a new neurological deficit: {side} pronator "
             "drift and papilledema.", "neurological deficit", "papilledema"),
         _ev("red-flags", "Red-flag features: headache wakes patient from sleep, age over 50 "
             "at onset.", "red flag", "wakes"),
         _ev("prior-imaging", "Prior imaging: CT head without contrast on {prior_date} was "
             "non-diagnostic.", "prior imaging", "CT head"))),
    ServiceLine(
        "ct-abdomen", "advanced imaging", ("74176", "74177", "74178"), (1, 1),
        ("R10.11", "K80.20"), "imaging", "Right upper quadrant pain for {weeks} weeks.",
        (_ev("prior-imaging", "Abdominal ultrasound on {prior_date} was inconclusive.",
             "ultrasound", "inconclusive", "prior imaging"),
         _ev("lab-results", "Labs: ALT {alt} U/L and lipase elevated.", "ALT", "lipase"))),
    ServiceLine(
        "pet-staging", "advanced imaging", ("78815",), (1, 1), ("C50.911",), "imaging",
        "Biopsy-proven carcinoma of the right breast.",
        (_ev("pathology", "Core biopsy on {prior_date} confirmed invasive ductal carcinoma.",
             "biopsy", "carcinoma"),
         _ev("staging", "PET/CT requested for initial staging; stage III by exam and CT.",
             "staging", "stage III"))),
    ServiceLine(
        "sleep-study-lab", "sleep", ("95810", "95811"), (1, 1), ("G47.33",), "sleep",
        "Suspected obstructive sleep apnea.",
        (SLEEP_SYMPTOMS,
         _ev("home-test-inadequate", "Home sleep test on {prior_date} was technically "
             "inadequate (AHI {ahi} on 2.1 hours of recording).", "home sleep test", "AHI",
             "inadequate"),
         _ev("comorbidity", "Comorbid heart failure (EF 35%) makes home testing inappropriate.",
             "heart failure", "comorbid"))),
    ServiceLine(
        "home-sleep-test", "sleep", ("G0399", "95800", "95806"), (1, 1), ("G47.33",), "sleep",
        "Suspected obstructive sleep apnea.",
        (SLEEP_SYMPTOMS,
         _ev("neck-circumference", "Neck circumference {neck} inches.", "neck circumference"))),
    ServiceLine(
        "cpap", "DME", ("E0601",), (1, 1), ("G47.33",), "dme",
        "Obstructive sleep apnea confirmed by sleep study.",
        (_ev("sleep-study", "Polysomnography on {prior_date} showed AHI of {ahi} events per "
             "hour.", "polysomnography", "AHI", "sleep study"),
         _ev("face-to-face", "Face-to-face evaluation on {prior_date} documented daytime "
             "sleepiness (Epworth {ess}).", "face-to-face", "Epworth"),
         BMI)),
    ServiceLine(
        "hospital-bed", "DME", ("E0250",), (1, 1), ("G35",), "dme",
        "Multiple sclerosis with progressive weakness.",
        (_ev("positioning", "Requires positioning of the body not feasible with an ordinary "
             "bed; frequent repositioning for pressure relief.", "positioning", "ordinary bed"),
         _ev("mobility-limitation", "Mobility limited to transfers with assistance.",
             "mobility", "transfers"))),
    ServiceLine(
        "power-wheelchair", "DME", ("K0823",), (1, 1), ("G35",), "dme",
        "Multiple sclerosis with inability to walk household distances.",
        (_ev("mobility-exam", "Face-to-face mobility examination on {prior_date}.",
             "mobility examination", "face-to-face"),
         _ev("manual-wheelchair", "Unable to self-propel an optimally configured manual "
             "wheelchair due to upper-extremity weakness.", "manual wheelchair", "self-propel"),
         _ev("home-assessment", "Home assessment confirmed adequate access and space.",
             "home assessment"))),
    ServiceLine(
        "adalimumab", "specialty drug", ("J0135",), (2, 2), ("L40.50", "M05.79"), "infusion",
        "Active disease despite standard therapy; DAS28 {das}.", (FAILED_DMARD, TB_TEST)),
    ServiceLine(
        "omalizumab", "specialty drug", ("J2357",), (30, 60), ("J45.50",), "infusion",
        "Severe persistent allergic asthma, {exacerbations} exacerbations in 12 months.",
        (_ev("ige-level", "Total serum IgE {ige} IU/mL; positive skin test to dust mite.",
             "IgE", "skin test"),
         _ev("failed-controller", "Uncontrolled despite high-dose inhaled corticosteroid plus "
             "LABA for {months} months.", "inhaled corticosteroid", "LABA"))),
    ServiceLine(
        "rituximab", "specialty drug", ("J9312",), (100, 100), ("M05.79",), "infusion",
        "Seropositive rheumatoid arthritis with active synovitis.",
        (FAILED_DMARD,
         _ev("failed-tnf", "Inadequate response to adalimumab (TNF inhibitor) for {months} "
             "months.", "TNF inhibitor", "adalimumab"),
         _ev("hepatitis-b", "Hepatitis B screening negative on {prior_date}.", "hepatitis B"))),
    ServiceLine(
        "infliximab", "specialty drug", ("J1745",), (30, 50), ("M05.79", "L40.50"), "infusion",
        "Active inflammatory arthritis; DAS28 {das}.", (FAILED_DMARD, TB_TEST)),
    ServiceLine(
        "physical-therapy", "physical therapy", ("97110", "97112", "97140"), (2, 4),
        ("M54.16", "M17.11", "G89.29"), "therapy",
        "Continued outpatient rehabilitation after the initial course.",
        (_ev("visit-count", "Completed {visits} visits this calendar year.", "visits"),
         _ev("functional-progress", "Oswestry score improved from 48% to {odi}%.", "Oswestry",
             "functional"),
         _ev("plan-of-care", "Plan of care signed by the physician on {prior_date}.",
             "plan of care"))),
    ServiceLine(
        "knee-arthroscopy", "outpatient surgery", ("29881",), (1, 1), ("M17.11",), "surgery",
        "Right knee pain with mechanical locking.",
        (CONSERVATIVE,
         _ev("prior-imaging", "MRI right knee on {prior_date} shows a medial meniscus tear.",
             "MRI", "meniscus"))),
    ServiceLine(
        "lumbar-laminotomy", "outpatient surgery", ("63030",), (1, 1), ("M51.26", "M54.16"),
        "surgery", "L4-L5 disc herniation with radiculopathy.",
        (CONSERVATIVE, NEURO,
         _ev("prior-imaging", "MRI lumbar spine on {prior_date} shows L4-L5 disc extrusion.",
             "MRI", "extrusion"))),
    ServiceLine(
        "total-knee", "outpatient surgery", ("27447",), (1, 1), ("M17.11",), "surgery",
        "End-stage osteoarthritis of the right knee.",
        (CONSERVATIVE,
         _ev("radiographs", "Weight-bearing X-rays show bone-on-bone medial joint space "
             "(Kellgren-Lawrence grade 4).", "X-ray", "bone-on-bone", "Kellgren-Lawrence"),
         BMI)),
    ServiceLine(
        "cholecystectomy", "outpatient surgery", ("47562",), (1, 1), ("K80.20", "R10.11"),
        "surgery", "Symptomatic cholelithiasis.",
        (_ev("ultrasound", "Ultrasound on {prior_date} confirms multiple gallstones.",
             "ultrasound", "gallstones"),
         _ev("biliary-colic", "{episodes} episodes of biliary colic in 3 months.",
             "biliary colic", "episodes"))),
    ServiceLine(
        "brca-testing", "genetic testing", ("81162",), (1, 1), ("Z80.3", "C50.911"), "lab",
        "Hereditary breast cancer risk assessment.",
        (_ev("family-history", "Family history: mother with breast cancer at age {age}, "
             "maternal aunt with ovarian cancer.", "family history", "breast cancer"),
         _ev("genetic-counseling", "Pre-test genetic counseling completed on {prior_date}.",
             "genetic counseling"))),
    ServiceLine(
        "molecular-panel", "genetic testing", ("81408", "81479"), (1, 1), ("C50.911",), "lab",
        "Tumor molecular profiling to guide therapy.",
        (_ev("pathology", "Core biopsy on {prior_date} confirmed invasive ductal carcinoma.",
             "biopsy", "carcinoma"),)),
    ServiceLine(
        "lumbar-xray", "advanced imaging", ("72100",), (1, 1), ("M54.16",), "imaging",
        "Low back pain for {weeks} weeks.", (), needs_pa=False),
    ServiceLine(
        "pt-evaluation", "physical therapy", ("97161", "97162", "97163"), (1, 1),
        ("M54.16", "M17.11"), "therapy", "Initial physical therapy evaluation.", (),
        needs_pa=False),
    ServiceLine(
        "walker", "DME", ("E0143",), (1, 1), ("M17.11",), "dme",
        "Gait instability due to right knee osteoarthritis.", (), needs_pa=False),
)
# fmt: on
SERVICES_BY_KEY = {service.key: service for service in SERVICES}

# Whimsical surnames: nobody generated from these can be mistaken for a real patient.
# fmt: off
PATIENT_SURNAMES = (
    "Testwell", "Placeholder", "Quasar", "Samplesworth", "Mockingbird", "Dummington",
    "Fictionby", "Notreal", "Specimenova", "Loremton", "Ipsumford", "Prototypo", "Madeupson",
    "Pretendwell", "Sandboxley", "Fixtureworth", "Examplar", "Synthetico", "Fakesbury",
    "Stubbington", "Nullsworth", "Demoville", "Trialby", "Mockridge",
)
CLINICIAN_SURNAMES = (
    "Fauxman", "Pseudonymo", "Shamwell", "Imitato", "Facsimile", "Simulacra", "Ersatzberg",
    "Replicant", "Counterfeit", "Makebelieve",
)
STREETS = (
    "Example Street", "Sample Avenue", "Example Road", "Sample Lane", "Placeholder Court",
    "Example Boulevard", "Sample Drive",
)
CLINIC_NAMES = (
    "Placeholder Family Medicine", "Sample Valley Orthopedics", "Example Ridge Neurology",
    "Mockingbird Pulmonary & Sleep", "Testwell Rheumatology Associates", "Quasar Primary Care",
    "Sample Creek Internal Medicine",
)
FACILITIES: dict[str, tuple[str, ...]] = {
    "imaging": ("Sample Valley Imaging Center", "Example Heights Radiology"),
    "sleep": ("Sample Valley Sleep Lab", "Placeholder Sleep Diagnostics"),
    "dme": ("Sample Valley Medical Supply", "Placeholder Home Respiratory"),
    "infusion": ("Example Infusion Suites", "Sample Valley Infusion Center"),
    "therapy": ("Placeholder Physical Therapy", "Example Motion Rehab"),
    "surgery": ("Sample Valley Surgery Center", "Example Ridge Ambulatory Surgery"),
    "lab": ("Example Genomics Laboratory", "Sample Molecular Diagnostics"),
}
# fmt: on

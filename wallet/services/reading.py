"""What the record views list and count, and the names they show.

One place decides which records a view holds and how many there are, so every screen
agrees (the category list, the toolbar's profile switcher, the table's status line,
export and share pickers):

- the wallet's own activity (:data:`TRAIL_TYPES`: Consent, AuditEvent) is never a health
  record: it lives in the Sharing and Access log views, in no record list or count;
- insurance and billing (:data:`INSURANCE_TYPES`) is a category of its own, out of the
  every-record timeline and the overview;
- rows stored before those categories existed kept the category "Other"; they are
  counted and listed by their type, so old and new stores read alike.

Counting goes through :func:`record_counts` only, built on the store's ``count`` and
``counts_by_*`` queries (no row is decrypted), so it can move to an indexed count API
without any screen changing.

Titles that are only a code (``LOINC 2345-7``) take the display the same code has in
another record of the wallet (:class:`DisplayIndex`); a medication named by reference
(``medicationReference``) takes the referenced Medication's name (:func:`reference_name`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ..errors import RecordNotFound
from ..records.concepts import fallback_title, type_words
from ..records.cvx import cvx_vaccine
from ..records.references import is_absolute, type_and_id
from ..records.store import RecordStore, StoredSummary
from ..records.summary import ACTIVITY, CATEGORIES, CONDITION_STATUS_WORDS, INSURANCE, Summary, summarize

__all__ = ["ALL_RECORDS", "BROWSED_CATEGORIES", "HEALTH_RECORDS", "INSURANCE", "INSURANCE_TYPES", "RESOURCE_TYPES",
           "TRAIL_TYPES",
           "DisplayIndex", "RecordCounts", "named_rows", "record_counts", "reference_name", "reference_names",
           "type_words", "view_query"]

ALL_RECORDS = "All records"  # the view of every health record, newest first (no insurance, no activity)
HEALTH_RECORDS = "Health records"  # every record a patient browses: all but the wallet's own activity
TRAIL_TYPES = ("Consent", "AuditEvent")  # the wallet's own record of grants and access
INSURANCE_TYPES = ("Claim", "ClaimResponse", "ExplanationOfBenefit", "Coverage")
BROWSED_CATEGORIES = tuple(c for c in CATEGORIES if c != ACTIVITY)
_NOT_CLINICAL = (*TRAIL_TYPES, *INSURANCE_TYPES)
# Every FHIR R4 and R4B resource type (the store holds nothing else: import validates each
# record). A view that leaves some types out lists the others by name: an IN list the store
# checks while it walks its date index, where reading which types are present would scan.
_RESOURCE_TYPES = (
    "Account", "ActivityDefinition", "AdministrableProductDefinition", "AdverseEvent", "AllergyIntolerance",
    "Appointment", "AppointmentResponse", "AuditEvent", "Basic", "Binary", "BiologicallyDerivedProduct",
    "BodyStructure", "Bundle", "CapabilityStatement", "CarePlan", "CareTeam", "CatalogEntry", "ChargeItem",
    "ChargeItemDefinition", "Citation", "Claim", "ClaimResponse", "ClinicalImpression", "ClinicalUseDefinition",
    "CodeSystem", "Communication", "CommunicationRequest", "CompartmentDefinition", "Composition", "ConceptMap",
    "Condition", "Consent", "Contract", "Coverage", "CoverageEligibilityRequest", "CoverageEligibilityResponse",
    "DetectedIssue", "Device", "DeviceDefinition", "DeviceMetric", "DeviceRequest", "DeviceUseStatement",
    "DiagnosticReport", "DocumentManifest", "DocumentReference", "EffectEvidenceSynthesis", "Encounter",
    "Endpoint", "EnrollmentRequest", "EnrollmentResponse", "EpisodeOfCare", "EventDefinition", "Evidence",
    "EvidenceReport", "EvidenceVariable", "ExampleScenario", "ExplanationOfBenefit", "FamilyMemberHistory", "Flag",
    "Goal", "GraphDefinition", "Group", "GuidanceResponse", "HealthcareService", "ImagingStudy", "Immunization",
    "ImmunizationEvaluation", "ImmunizationRecommendation", "ImplementationGuide", "Ingredient", "InsurancePlan",
    "Invoice", "Library", "Linkage", "List", "Location", "ManufacturedItemDefinition", "Measure", "MeasureReport",
    "Media", "Medication", "MedicationAdministration", "MedicationDispense", "MedicationKnowledge",
    "MedicationRequest", "MedicationStatement", "MedicinalProduct", "MedicinalProductAuthorization",
    "MedicinalProductContraindication", "MedicinalProductDefinition", "MedicinalProductIndication",
    "MedicinalProductIngredient", "MedicinalProductInteraction", "MedicinalProductManufactured",
    "MedicinalProductPackaged", "MedicinalProductPharmaceutical", "MedicinalProductUndesirableEffect",
    "MessageDefinition", "MessageHeader", "MolecularSequence", "NamingSystem", "NutritionOrder",
    "NutritionProduct", "Observation", "ObservationDefinition", "OperationDefinition", "OperationOutcome",
    "Organization", "OrganizationAffiliation", "PackagedProductDefinition", "Parameters", "Patient",
    "PaymentNotice", "PaymentReconciliation", "Person", "PlanDefinition", "Practitioner", "PractitionerRole",
    "Procedure", "Provenance", "Questionnaire", "QuestionnaireResponse", "RegulatedAuthorization", "RelatedPerson",
    "RequestGroup", "ResearchDefinition", "ResearchElementDefinition", "ResearchStudy", "ResearchSubject",
    "RiskAssessment", "RiskEvidenceSynthesis", "Schedule", "SearchParameter", "ServiceRequest", "Slot", "Specimen",
    "SpecimenDefinition", "StructureDefinition", "StructureMap", "Subscription", "SubscriptionStatus",
    "SubscriptionTopic", "Substance", "SubstanceDefinition", "SubstanceNucleicAcid", "SubstancePolymer",
    "SubstanceProtein", "SubstanceReferenceInformation", "SubstanceSourceMaterial", "SubstanceSpecification",
    "SupplyDelivery", "SupplyRequest", "Task", "TerminologyCapabilities", "TestReport", "TestScript", "ValueSet",
    "VerificationResult", "VisionPrescription",
)
RESOURCE_TYPES = _RESOURCE_TYPES  # what a record's resourceType can be
# Types a urn:uuid reference most often names, tried in order when the reference says no type.
_REFERENCE_TYPES = ("Medication", "Practitioner", "Organization", "PractitionerRole", "Patient", "RelatedPerson",
                    "Location", "Condition", "Encounter", "Observation", "DiagnosticReport", "Procedure",
                    "CareTeam", "Device", "Coverage")


@dataclass(frozen=True)
class RecordCounts:
    """Record counts of one profile: ``by_category`` holds every category a patient
    browses (:data:`BROWSED_CATEGORIES`); ``activity`` the wallet's own trail (not records)."""

    by_category: Mapping[str, int]
    activity: int = 0

    @property
    def total(self) -> int:
        """Every health record (insurance and billing included; the trail never)."""
        return sum(self.by_category.values())

    @property
    def clinical(self) -> int:
        """The records of the :data:`ALL_RECORDS` view: the total without insurance and billing."""
        return self.total - self.by_category.get(INSURANCE, 0)

    def count(self, view: str | None) -> int:
        """The count of a category, of :data:`ALL_RECORDS`, or (``None``) the total."""
        if view is None:
            return self.total
        if view == ALL_RECORDS:
            return self.clinical
        if view == HEALTH_RECORDS:
            return self.total
        return self.by_category.get(view, 0)


def record_counts(store: RecordStore, profile: str | None) -> RecordCounts:
    """The counts every screen shows, for ``profile`` (``None``: every profile); SQL counts only."""
    raw = store.counts_by_category(profile)
    legacy_trail = store.count(category="Other", types=TRAIL_TYPES, profile=profile)
    legacy_insurance = store.count(category="Other", types=INSURANCE_TYPES, profile=profile)
    by = {c: int(raw.get(c, 0)) for c in BROWSED_CATEGORIES}
    by["Other"] = max(0, by["Other"] - legacy_trail - legacy_insurance)
    by[INSURANCE] += legacy_insurance
    return RecordCounts(by, int(raw.get(ACTIVITY, 0)) + legacy_trail)


def shown_category(summary: Summary) -> str:
    """The category a summary is listed and counted under: its own, except that rows stored
    before Insurance and billing and the activity category existed (kept as "Other") go by
    their type, as :func:`record_counts` counts them."""
    if summary.category == "Other":
        if summary.resource_type in INSURANCE_TYPES:
            return INSURANCE
        if summary.resource_type in TRAIL_TYPES:
            return ACTIVITY
    return summary.category


def view_query(view: str | None) -> tuple[str | None, list[str] | None]:
    """``(category, types)`` store filters for a view: a category of :data:`CATEGORIES`,
    :data:`ALL_RECORDS`, :data:`HEALTH_RECORDS`, or ``None`` (every stored row, the trail
    included). ``types == []`` means the view is empty."""
    if view is None:
        return None, None
    if view == ACTIVITY:
        return None, list(TRAIL_TYPES)
    if view == INSURANCE:
        return None, list(INSURANCE_TYPES)
    if view == HEALTH_RECORDS:
        return None, [t for t in _RESOURCE_TYPES if t not in TRAIL_TYPES]
    if view in (ALL_RECORDS, "Other"):
        return (None if view == ALL_RECORDS else "Other"), [t for t in _RESOURCE_TYPES if t not in _NOT_CLINICAL]
    return view, None


class DisplayIndex:
    """``system|code`` → the display some record of the wallet gives that code.

    Read per resource type, on first need (a listed row whose title is only a code): one
    pass over the stored summaries of that type (summaries only, no resource), done again
    after the count of that type changes. Most wallets never need it: cards' bare CVX
    codes are named from the CVX table, and most records carry their displays."""

    def __init__(self, store: RecordStore) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._built: dict[str, tuple[int, dict[str, str]]] = {}

    def names(self, resource_type: str) -> Mapping[str, str]:
        with self._lock:
            size = self._store.count(types=[resource_type])
            built = self._built.get(resource_type)
            if built is None or built[0] != size:
                names: dict[str, str] = {}
                for row in self._store.summaries(types=[resource_type]):
                    s = row.summary
                    if s.code and s.title and s.title != fallback_title(s.code):
                        names.setdefault(s.code, s.title)
                built = (size, names)
                self._built[resource_type] = built
            return built[1]


def _stored_title(store: RecordStore, rtype: str, fid: str, profile: str) -> str:
    rid = store.record_id({"resourceType": rtype, "id": fid}, profile)
    try:
        return store.get_summary(rid).title
    except RecordNotFound:
        return ""


def reference_name(store: RecordStore, reference: str, profile: str, *, types: Iterable[str] = _REFERENCE_TYPES) -> str:
    """The title of the stored record a FHIR reference names (``Practitioner/p1``, a RESTful
    URL, or ``urn:uuid:<id>`` tried as each of ``types``), else ``""``."""
    found = type_and_id(reference)
    if found is not None:
        rtype, _, fid = found.partition("/")
        return _stored_title(store, rtype, fid, profile)
    if is_absolute(reference) and reference.startswith("urn:uuid:"):
        fid = reference.removeprefix("urn:uuid:")
        for rtype in types:
            title = _stored_title(store, rtype, fid, profile)
            if title:
                return title
    return ""


def reference_names(store: RecordStore, resource: dict[str, Any], profile: str, *, most: int = 60) -> dict[str, str]:
    """``reference`` → a name for every Reference in ``resource``: its own ``display``, else
    the title of the stored record it names. References that name nothing known are left out."""
    out: dict[str, str] = {}
    stack: list[Any] = [resource]
    tried = 0
    while stack and tried < most * 4:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("reference")
            if isinstance(ref, str) and ref and ref not in out and not ref.startswith("#"):
                tried += 1
                display = node.get("display")
                name = display.strip() if isinstance(display, str) and display.strip() else (
                    reference_name(store, ref, profile) if len(out) < most else "")
                if name:
                    out[ref] = name
            stack.extend(v for k, v in node.items() if isinstance(v, (dict, list)) and k != "contained")
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, (dict, list)))
    return out


def named_rows(store: RecordStore, rows: list[StoredSummary], profile: str, index: DisplayIndex) -> list[StoredSummary]:
    """``rows`` with titles that were only a code, or a medication named by reference, named
    from the rest of the wallet (see the module docs); other rows are returned as they are."""
    looked_up: dict[str, Mapping[str, str]] = {}  # one index read per type and call
    out = []
    for row in rows:
        s = row.summary
        title = ""
        if s.about and s.title in ("Medication", ""):
            title = reference_name(store, s.about, profile, types=("Medication",))
        elif s.resource_type == "Immunization" and not s.code and s.title.isdigit():
            # stored by an earlier version, which titled a card's bare CVX code with the number
            vaccine = cvx_vaccine(s.title)
            title = vaccine.name if vaccine is not None else ""
        elif s.code and s.title == fallback_title(s.code):
            if s.resource_type not in looked_up:
                looked_up[s.resource_type] = index.names(s.resource_type)
            title = looked_up[s.resource_type].get(s.code, "")
        words = CONDITION_STATUS_WORDS.get(s.status, "") if s.resource_type == "Condition" else ""
        if words and (s.detail == s.status or s.detail.startswith(s.status + ", ")):
            # stored by an earlier version, which gave a condition's status as its code ("active")
            s = replace(s, detail=words + s.detail[len(s.status):])
            row = replace(row, summary=s)
        if s.resource_type == "DiagnosticReport" and s.detail and s.detail == s.status:
            # stored by an earlier version, which showed a report's status ("final") as its result
            s = replace(s, detail="")
            row = replace(row, summary=s)
        out.append(replace(row, summary=replace(s, title=title)) if title else row)  # position etc. kept
    return out


def named_within(resources: Sequence[dict[str, Any]]) -> list[Summary]:
    """The summaries of a set of resources that is not in the store (an opened share, an
    export being verified), named among themselves like :func:`named_rows` names stored
    ones: a bare code takes the display another resource of the set gives it, a medication
    named by reference takes the referenced Medication's name (by ``Type/id`` or
    ``urn:uuid:id``). Summaries are in the order of ``resources``."""
    summaries = [summarize(res) for res in resources]
    names: dict[str, str] = {}
    by_reference: dict[str, str] = {}
    for res, s in zip(resources, summaries, strict=True):
        if s.code and s.title and s.title != fallback_title(s.code):
            names.setdefault(f"{s.resource_type}|{s.code}", s.title)
        fid = res.get("id")
        if isinstance(fid, str) and fid and s.title:
            by_reference.setdefault(f"{s.resource_type}/{fid}", s.title)
            by_reference.setdefault(f"urn:uuid:{fid}", s.title)
    out = []
    for s in summaries:
        title = ""
        if s.about and s.title in ("Medication", ""):
            found = type_and_id(s.about)
            title = by_reference.get(found or s.about, "")
        elif s.code and s.title == fallback_title(s.code):
            title = names.get(f"{s.resource_type}|{s.code}", "")
        out.append(replace(s, title=title) if title else s)
    return out


def names_within(resources: Sequence[dict[str, Any]]) -> dict[str, str]:
    """``reference`` → name for references between a set of resources not in the store (an
    opened share, an export being verified): each resource is named by its summary title
    under ``Type/id`` and ``urn:uuid:id`` (how Bundles reference their entries). For the
    detail pane's "prescriber", "given by", "reason"."""
    out: dict[str, str] = {}
    for res, s in zip(resources, named_within(resources), strict=True):
        fid = res.get("id")
        if isinstance(fid, str) and fid and s.title:
            out.setdefault(f"{s.resource_type}/{fid}", s.title)
            out.setdefault(f"urn:uuid:{fid}", s.title)
    return out

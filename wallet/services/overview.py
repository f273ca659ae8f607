"""The overview page: a patient's record at a glance, read from summaries only.

- active medications: Medication* records whose ``status`` is active (or on hold),
  one line per medication name, the newest;
- conditions: current (clinicalStatus active, recurrence or relapse, or none given) and
  past (inactive, remission, resolved), one line per condition, the newest;
- allergies: every allergy and intolerance not marked inactive or resolved;
- latest vitals: the newest value of each vital sign (among the newest 1,000 readings).

FHIR R4 value sets: condition-clinical (Condition.clinicalStatus), medicationrequest-status
and medication-statement-status, allergyintolerance-clinical.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..records.store import StoredSummary

if TYPE_CHECKING:
    from .wallet import UnlockedWallet

__all__ = ["HealthOverview", "health_overview", "overview_from"]

_ACTIVE_MEDICATION = frozenset({"active", "on-hold", "intended"})
_CURRENT_CONDITION = frozenset({"active", "recurrence", "relapse", ""})
_PAST_CONDITION = frozenset({"inactive", "remission", "resolved"})
_INACTIVE_ALLERGY = frozenset({"inactive", "resolved"})
_VITALS_READ = 1000


@dataclass(frozen=True)
class HealthOverview:
    """Rows of each section, newest first; ``total`` is the profile's health record count."""

    active_medications: tuple[StoredSummary, ...]
    current_conditions: tuple[StoredSummary, ...]
    past_conditions: tuple[StoredSummary, ...]
    allergies: tuple[StoredSummary, ...]
    latest_vitals: tuple[StoredSummary, ...]
    total: int = 0

    @property
    def empty(self) -> bool:
        return not (self.active_medications or self.current_conditions or self.past_conditions or self.allergies
                    or self.latest_vitals)


def _newest_per(rows: list[StoredSummary], key: str) -> list[StoredSummary]:
    """The first row (rows come newest first) of each distinct ``key`` (``title`` or ``code``)."""
    seen: set[str] = set()
    out = []
    for row in rows:
        k = (getattr(row.summary, key) or row.summary.title).casefold()
        if k not in seen:
            seen.add(k)
            out.append(row)
    return out


def overview_from(medications: list[StoredSummary], conditions: list[StoredSummary],
                  allergies: list[StoredSummary], vitals: list[StoredSummary], total: int = 0) -> HealthOverview:
    """The overview of summaries already read (each list newest first). Pure: testable without a store."""
    meds = [r for r in medications if r.summary.resource_type != "Medication"
            and r.summary.status in _ACTIVE_MEDICATION]
    current = [r for r in conditions if r.summary.status in _CURRENT_CONDITION]
    past = [r for r in conditions if r.summary.status in _PAST_CONDITION]
    current_titles = {r.summary.title.casefold() for r in current}
    return HealthOverview(
        tuple(_newest_per(meds, "title")),
        tuple(_newest_per(current, "title")),
        tuple(r for r in _newest_per(past, "title") if r.summary.title.casefold() not in current_titles),
        tuple(_newest_per([r for r in allergies if r.summary.status not in _INACTIVE_ALLERGY], "title")),
        tuple(_newest_per([r for r in vitals if r.summary.value is not None or r.summary.detail], "code")),
        total,
    )


def health_overview(wallet: UnlockedWallet, *, profile: str) -> HealthOverview:
    """The overview of ``profile``'s records: the newest row of each title and status of three
    categories (found in an index, however many rows they hold) and the newest vital signs
    (the newest row of each code among the newest readings, grouped in the store)."""
    return overview_from(wallet.latest_by_title("Medications", profile=profile),
                         wallet.latest_by_title("Conditions", profile=profile),
                         wallet.latest_by_title("Allergies", profile=profile),
                         wallet.newest_per_code("Vital signs", among=_VITALS_READ, profile=profile),
                         wallet.record_counts(profile).total)

"""A search's count, exact up to a cap and "1,000+" above it, and the first page a filter box
shows: newest first, with the same filters as every list (types, a category, a date)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks.gen_lifetime import lifetime_resources
from wallet.errors import Cancelled, RecordError
from wallet.events import CancelToken
from wallet.records.store import SEARCH_COUNT_CAP, CappedCount, NewRecord, RecordStore
from wallet.records.summary import summarize
from wallet.vault import aead


def _resources() -> list[dict[str, Any]]:
    """Every body weight reading (about 1,100), every clinical record, one heart reading in 20."""
    kept = []
    for n, resource in enumerate(lifetime_resources(11_000, seed=7)):
        codes = {c.get("code") for c in resource.get("code", {}).get("coding", [])}
        if resource["resourceType"] != "Observation" or "29463-7" in codes or n % 20 == 0:
            kept.append(resource)
    return kept


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RecordStore]:
    path: Path = tmp_path_factory.mktemp("counts") / "records.sqlite3"
    s = RecordStore(path, record_key=aead.new_key(), index_key=aead.new_key())
    s.add_many([NewRecord(s.record_id(r), r, summarize(r)) for r in _resources()])
    yield s
    s.close()


def test_a_count_is_exact_up_to_the_cap_and_capped_above_it(store: RecordStore) -> None:
    weights = store.count(text="weight")
    assert weights > SEARCH_COUNT_CAP  # enough real rows to pass the cap
    capped = store.capped_count(text="weight")
    assert capped == CappedCount(SEARCH_COUNT_CAP, exact=False) and capped.text == "1,000+"
    assert store.capped_count(text="weight", cap=weights) == CappedCount(weights)  # at the cap: exact
    assert store.capped_count(text="weight", cap=weights - 1) == CappedCount(weights - 1, exact=False)
    rare = store.capped_count(text="lisinopril")
    assert rare.exact and rare.value == store.count(text="lisinopril") == len(store.ids(text="lisinopril")) > 0
    assert rare.text == str(rare.value)
    assert store.capped_count(text="no-such-word") == CappedCount(0)
    every = store.capped_count()  # no search: the kept counts, exact however many
    assert every == CappedCount(store.count()) and every.value > SEARCH_COUNT_CAP


def test_a_capped_count_is_a_validated_value() -> None:
    assert CappedCount(12_345).text == "12,345"
    assert CappedCount(1000, exact=False).text == "1,000+"
    with pytest.raises(ValueError):
        CappedCount(-1)


def test_a_cap_below_one_is_refused(store: RecordStore) -> None:
    with pytest.raises(ValueError):
        store.capped_count(text="weight", cap=0)


@pytest.mark.parametrize("word", ["weight", "lisinopril", "heart rate", "no-such-word"])
def test_the_first_page_of_a_search_is_its_newest_matches_with_their_count(store: RecordStore, word: str) -> None:
    everything = store.ids(text=word)
    found = store.search_page(word, limit=200)
    rows = found.page.rows
    assert [r.id for r in rows] == everything[:200]  # the list's order: newest first
    dated = [r.instant for r in rows if r.instant is not None]
    assert dated == sorted(dated, reverse=True)
    assert (found.page.next is None) == (len(everything) <= 200)
    if len(everything) <= SEARCH_COUNT_CAP:
        assert found.count == CappedCount(len(everything))
    else:
        assert found.count == CappedCount(SEARCH_COUNT_CAP, exact=False)


def test_a_page_longer_than_the_cap_counts_at_least_its_rows(store: RecordStore) -> None:
    found = store.search_page("weight", limit=200, cap=50)
    assert len(found.page.rows) == 200 and found.count == CappedCount(200, exact=False)
    every = store.count(text="weight")
    whole = store.search_page("weight", limit=10_000, cap=50)  # every match on the page: exact, above the cap
    assert len(whole.page.rows) == every and whole.count == CappedCount(every)


def _ids_where(store: RecordStore, word: str, keep: Any) -> list[str]:
    """The search's matches, newest first, that ``keep(summary)`` accepts (checked in Python)."""
    return [s.id for s in store.summaries(text=word) if keep(s)]


@pytest.mark.parametrize("types", [
    ["Observation", "Consent"],  # one type stored, one not
    ["Observation", "Encounter", "Condition", "MedicationRequest", "Immunization", "AllergyIntolerance", "Patient",
     "Consent", "Coverage"],  # every stored type and more: the filter excludes nothing
    ["MedicationRequest"],
    ["Consent"],  # nothing stored of it
])
def test_a_type_filter_means_the_same_in_a_search(store: RecordStore, types: list[str]) -> None:
    for word in ("weight", "lisinopril", "active"):
        expected = _ids_where(store, word, lambda s: s.summary.resource_type in types)
        assert store.ids(text=word, types=types) == expected
        assert [r.id for r in store.page(text=word, types=types, limit=10_000).rows] == expected
        assert store.count(text=word, types=types) == len(expected)
        assert store.capped_count(text=word, types=types, cap=10_000) == CappedCount(len(expected))
        assert [r.id for r in store.search_page(word, types=types, limit=50).page.rows] == expected[:50]


def test_a_category_filter_means_the_same_in_a_search_and_its_count(store: RecordStore) -> None:
    for category in ("Vital signs", "Medications", "Allergies"):
        for word in ("weight", "lisinopril", "heart"):
            expected = _ids_where(store, word, lambda s, c=category: s.summary.category == c)
            assert store.ids(text=word, category=category) == expected
            assert store.count(text=word, category=category, profile="owner") == len(expected)
            assert store.count(text=word, category=category) == len(expected)  # every profile
            capped = store.capped_count(text=word, category=category, profile="owner", cap=10_000)
            assert capped == CappedCount(len(expected))


@pytest.mark.parametrize("since", ["2021-01-01", "2022-06", "2022"])
def test_a_date_filter_bounds_a_search_as_it_bounds_the_list(store: RecordStore, since: str) -> None:
    listed = set(store.ids(since=since))
    for word in ("weight", "lisinopril"):
        expected = [rid for rid in store.ids(text=word) if rid in listed]
        assert 0 < len(expected) < len(store.ids(text=word))
        assert store.ids(text=word, since=since) == expected
        assert store.count(text=word, since=since) == len(expected)
        assert [r.id for r in store.page(text=word, since=since, limit=10_000).rows] == expected
    with pytest.raises(RecordError):
        store.capped_count(text="weight", since="last week")


def test_a_cancelled_count_stops_and_leaves_the_store_usable(store: RecordStore) -> None:
    everything = store.count(text="weight")
    token = CancelToken()
    assert store.count(text="weight", cancel=token) == everything  # not cancelled: the same count
    token.cancel()
    with pytest.raises(Cancelled):
        store.count(text="weight", cancel=token)
    assert store.count(text="weight") == everything  # the next count runs to its end
    assert len(store.page(text="weight", limit=300).rows) == 300

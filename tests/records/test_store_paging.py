"""Paging and counting through the store's indexes: pages newest first by offset or by
keyset, counts with the same filters, and query plans that walk an index instead of
reading and sorting every row."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from wallet.records.store import NewRecord, PageKey, RecordStore
from wallet.records.summary import summarize
from wallet.vault import aead

N = 600


def observation(i: int) -> dict[str, object]:
    day = f"2020-{1 + i % 12:02d}-{1 + i % 28:02d}"
    resource: dict[str, object] = {
        "resourceType": "Observation", "id": f"o{i}", "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                  "code": "vital-signs" if i % 3 else "laboratory"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4", "display": "Heart rate"}]},
        "valueQuantity": {"value": 60 + i % 40, "unit": "/min"},
    }
    if i % 50:  # some have no date at all: they come last
        resource["effectiveDateTime"] = f"{day}T{i % 24:02d}:00:00Z" if i % 7 else day[:7]
    return resource


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RecordStore]:
    s = RecordStore(tmp_path_factory.mktemp("paging") / "records.sqlite3", record_key=aead.new_key(),
                    index_key=aead.new_key())
    records = []
    for i in range(N):
        resource = observation(i)
        profile = "owner" if i % 5 else "child"
        records.append(NewRecord(s.record_id(resource, profile), resource, summarize(resource), profile))
    s.add_many(records)
    s.add_many([], deleted=[records[1].id, records[2].id])
    yield s
    s.close()


FILTERS: list[dict[str, object]] = [
    {},
    {"profile": "owner"},
    {"profile": "child"},
    {"profile": "owner", "category": "Lab results"},
    {"profile": "owner", "types": ["Observation"]},
    {"profile": "owner", "since": "2020-06"},
    {"since": "2020-10-15T00:00:00Z"},
    {"profile": "owner", "text": "heart"},
]


@pytest.mark.parametrize("filters", FILTERS)
def test_pages_walk_the_same_rows_as_the_full_list(store: RecordStore, filters: dict[str, object]) -> None:
    everything = store.ids(**filters)  # type: ignore[arg-type]
    assert store.count(**filters) == len(everything)  # type: ignore[arg-type]
    walked: list[str] = []
    after: PageKey | None = None
    assert isinstance(store.page(limit=1).next, PageKey)
    while True:
        page = store.page(limit=37, after=after, **filters)  # type: ignore[arg-type]
        walked += [r.id for r in page.rows]
        if page.next is None:
            break
        after = page.next
    assert walked == everything
    by_offset = [r.id for n in range(0, len(everything) + 37, 37)
                 for r in store.page(limit=37, offset=n, **filters).rows]  # type: ignore[arg-type]
    assert by_offset == everything


def test_page_order_is_newest_first_with_undated_last(store: RecordStore) -> None:
    rows = store.page(limit=10_000).rows
    assert len(rows) == N - 2  # the two deleted at their source are left out
    dated = [r.instant for r in rows if r.instant is not None]
    assert dated == sorted(dated, reverse=True)
    assert all(r.instant is None for r in rows[len(dated):]) and len(dated) < len(rows)
    assert {r.profile for r in rows} == {"owner", "child"}
    assert store.count() == N - 2 and store.count(profile="child") + store.count(profile="owner") == N - 2


def test_page_arguments_are_checked(store: RecordStore) -> None:
    for bad in ({"limit": 0}, {"limit": 10_001}, {"offset": -1}):
        with pytest.raises(ValueError):
            store.page(**bad)  # type: ignore[arg-type]
    from wallet.errors import RecordError

    with pytest.raises(RecordError, match="not a date"):
        store.count(since="last week")


def plan(store: RecordStore, sql: str, args: list[object]) -> str:
    return " | ".join(row[3] for row in store._conn().execute(f"EXPLAIN QUERY PLAN {sql}", args))


@pytest.mark.parametrize(("filters", "index"), [
    ({"profile": "owner"}, "records_live_profile"),
    ({"profile": "owner", "category": "Lab results"}, "records_live_category"),
    ({"profile": "owner", "types": ["Observation"]}, "records_live_type"),
    ({"profile": "owner", "since": "2020-06"}, "records_live_profile"),
])
def test_pages_read_an_index_in_order_not_every_row(store: RecordStore, filters: dict[str, object],
                                                    index: str) -> None:
    source, args, position = store._source(filters.get("category"), filters.get("types"),  # type: ignore[arg-type]
                                           filters.get("since"), filters.get("profile"), None)  # type: ignore[arg-type]
    page = plan(store, f"SELECT id, summary{source} ORDER BY {position} DESC LIMIT 10", args)
    assert f"USING INDEX {index}" in page and "TEMP B-TREE" not in page, page  # index order, no sort
    everyone = plan(store, "SELECT id, summary FROM records WHERE deleted = 0 ORDER BY n DESC LIMIT 10", [])
    assert "TEMP B-TREE" not in everyone, everyone


def test_a_search_walks_its_matches_newest_first_without_sorting(store: RecordStore) -> None:
    source, args, position = store._source(None, None, None, "owner", "heart")
    searched = plan(store, f"SELECT id{source} ORDER BY {position} DESC LIMIT 10", args)
    assert searched.startswith("SCAN search VIRTUAL TABLE") and "SEARCH records USING INTEGER PRIMARY KEY" in searched
    assert "TEMP B-TREE" not in searched, searched


def test_positions_follow_instants(store: RecordStore) -> None:
    rows = store.page(limit=10_000).rows
    assert [r.position for r in rows] == sorted((r.position for r in rows), reverse=True)
    assert len({r.position for r in rows}) == len(rows)


def test_kept_counts_follow_every_change(tmp_path_factory: pytest.TempPathFactory) -> None:
    s = RecordStore(tmp_path_factory.mktemp("counts") / "records.sqlite3", record_key=aead.new_key(),
                    index_key=aead.new_key())
    from collections import Counter

    from wallet.records.profiles import Profile

    def check() -> None:
        rows = [(r.profile, r.summary.category, r.summary.resource_type) for r in s.summaries()]
        assert s.count() == len(rows)
        assert s.counts_by_profile() == dict(Counter(p for p, _c, _t in rows))
        for profile in ("owner", "child", "moved"):
            mine = [(c, t) for p, c, t in rows if p == profile]
            assert s.count(profile=profile) == len(mine)
            assert s.counts_by_type(profile) == dict(sorted(Counter(t for _c, t in mine).items()))
            assert {k: v for k, v in s.counts_by_category(profile).items() if v} == dict(Counter(c for c, _t in mine))
            for category in {c for c, _t in mine}:
                assert s.count(profile=profile, category=category) == len(s.ids(profile=profile, category=category))
            assert s.count(profile=profile, types=["Observation", "Patient"]) == \
                len(s.ids(profile=profile, types=["Observation", "Patient"]))

    try:
        records = []
        for i in range(40):
            resource = observation(i)
            profile = "owner" if i % 4 else "child"
            records.append(NewRecord(s.record_id(resource, profile), resource, summarize(resource), profile))
        s.add_many(records)
        check()
        s.add_many(records[:5])  # duplicates change nothing
        check()
        s.add_many([], deleted=[r.id for r in records[:6]])
        check()
        lab = dict(observation(7), category=[{"coding": [{"code": "laboratory"}]}], id="o7")
        s.add_many([], newer=[NewRecord(records[7].id, lab, summarize(lab))])
        s.add_many([], newer=[NewRecord(records[2].id, records[2].resource, records[2].summary, "owner")])  # undeleted
        check()
        s.delete(records[9].id)
        s.delete(records[3].id)  # deleted at its source, then removed
        check()
        patient = {"resourceType": "Patient", "id": "p1"}
        s.put(NewRecord("p" * 24, patient, summarize(patient)))
        s.put(NewRecord("p" * 24, patient, summarize(patient), "child"))  # replaced, now the child's
        check()
        s.move_profile("child", Profile("moved"))
        check()
    finally:
        s.close()


def test_positions_order_instants_and_stay_unique_when_a_second_is_full() -> None:
    import sqlite3

    from wallet.records.store_schema import SLOT, next_position, position_slot

    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE records (n INTEGER PRIMARY KEY)")

    def add(instant: float | None) -> int:
        n = next_position(conn, instant)
        conn.execute("INSERT INTO records (n) VALUES (?)", (n,))
        return n

    undated = [add(None), add(None)]
    older, old_again, newer = add(-1e10), add(-1e10), add(1.7e9)
    same = [add(1.7e9 + 0.5) for _ in range(3)]
    assert undated == [1, 2] and undated[1] < older < old_again < newer < same[0] < same[1] < same[2]
    assert add(9e99) > same[2] and add(-9e99) < older  # beyond the years kept in order: clamped
    full = position_slot(1e9)
    conn.execute("INSERT INTO records (n) VALUES (?)", (full + SLOT - 1,))  # the second's slot is full
    spilled = add(1e9)
    assert spilled == full + SLOT and add(1e9) == full + SLOT + 1

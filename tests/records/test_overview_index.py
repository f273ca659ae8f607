"""The overview's newest row of each medication, condition and allergy comes from an index of
their titles and statuses: the same overview as reading every row, in a time that follows the
distinct titles (not the readings), on new stores and on stores made before the index."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from wallet.records.store import RecordStore
from wallet.services.overview import overview_from
from wallet.vault import aead

BIG_PATIENT = FIXTURES / "synthea" / "Fletcher_Hyatt_fe0562b5-f517-4951-8366-32fdab088930.json"
CATEGORIES = ("Medications", "Conditions", "Allergies")


def _plan(store: RecordStore, category: str) -> str:
    rows = store._conn().execute(
        "EXPLAIN QUERY PLAN SELECT MAX(n) FROM records INDEXED BY records_latest_by_title "
        "WHERE deleted = 0 AND category IN ('Medications', 'Conditions', 'Allergies') "
        "AND profile = ? AND category = ? "
        "GROUP BY json_extract(summary, '$.title'), json_extract(summary, '$.status')", ["owner", category])
    return " ".join(str(r[-1]) for r in rows)


def test_the_overview_from_the_index_is_the_overview_from_every_row(open_wallet) -> None:
    wallet = open_wallet("lifetime")
    wallet.import_file(BIG_PATIENT)
    every = {c: wallet.summaries(category=c) for c in CATEGORIES}
    latest = {c: wallet.latest_by_title(c) for c in CATEGORIES}
    for category in CATEGORIES:
        rows, newest = every[category], latest[category]
        keys = {(r.summary.title, r.summary.status) for r in rows}
        assert {(r.summary.title, r.summary.status) for r in newest} == keys  # one row for each, no more
        for row in newest:  # and it is the newest of its title and status
            assert row == next(r for r in rows if (r.summary.title, r.summary.status) ==
                               (row.summary.title, row.summary.status))
        assert [r.position for r in newest] == sorted((r.position for r in newest), reverse=True)
    assert sum(map(len, latest.values())) < sum(map(len, every.values()))  # refills collapse
    vitals = wallet.summaries(category="Vital signs", limit=1000)
    overview = wallet.overview()
    assert overview == overview_from(every["Medications"], every["Conditions"], every["Allergies"], vitals,
                                     overview.total)
    assert overview.current_conditions and overview.active_medications


def test_a_store_made_before_the_index_gets_it_when_opened(tmp_path: Path) -> None:
    keys = {"record_key": aead.new_key(), "index_key": aead.new_key()}
    store = RecordStore(tmp_path / "records.sqlite3", **keys)
    with store._conn() as conn:
        conn.execute("DROP INDEX records_latest_by_title")  # as an earlier release made it
    store.close()
    store = RecordStore(tmp_path / "records.sqlite3", **keys)
    try:
        for category in CATEGORIES:
            assert "USING INDEX records_latest_by_title" in _plan(store, category)
            assert store.latest_by_title(category, "owner") == []
        with pytest.raises(ValueError, match="Vital signs"):
            store.latest_by_title("Vital signs", "owner")
    finally:
        store.close()


def test_the_latest_vitals_grouped_in_the_store_are_those_of_the_newest_readings(open_wallet, tmp_path: Path,
                                                                                  monkeypatch) -> None:
    import json

    from benchmarks.gen_lifetime import lifetime_resources
    from wallet.services import overview

    wallet = open_wallet("lifetime")
    path = tmp_path / "watch.ndjson"
    path.write_text("".join(json.dumps(r) + "\n" for r in lifetime_resources(600, seed=4)))
    wallet.import_file(path)
    for among in (1, 7, 40, 1000):  # a window that cuts through the readings, and one that holds them all
        monkeypatch.setattr(overview, "_VITALS_READ", among)
        newest = wallet.summaries(category="Vital signs", limit=among)
        assert wallet.overview().latest_vitals == overview_from([], [], [], newest).latest_vitals
        grouped = wallet.newest_per_code("Vital signs", among=among)
        assert [r.position for r in grouped] == sorted((r.position for r in grouped), reverse=True)
        assert {r.summary.code or r.summary.title for r in grouped} == {
            r.summary.code or r.summary.title for r in newest if r.summary.value is not None or r.summary.detail}
    assert len(wallet.overview().latest_vitals) > 3

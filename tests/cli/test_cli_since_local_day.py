"""``records --since DAY`` keeps the user's local day, in the zone the list shows times in:
a reading at 23:30 local time stays on its own side of the date, far east and far west of UTC."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.cli_runner import cli


def _reading(rid: str, when: str) -> dict[str, object]:
    return {"resourceType": "Observation", "id": rid, "status": "final",
            "code": {"text": f"Heart rate {rid}"}, "effectiveDateTime": when,
            "valueQuantity": {"value": 60, "unit": "/min"}}


READINGS = [
    _reading("nz-eve", "2024-03-09T23:30:00+13:00"),  # Auckland, the 9th at 23:30 (10:30Z on the 9th)
    _reading("nz-morning", "2024-03-10T00:30:00+13:00"),  # Auckland, the 10th at 00:30 (11:30Z on the 9th)
    _reading("la-eve", "2024-03-09T23:30:00-08:00"),  # Los Angeles, the 9th at 23:30 (07:30Z on the 10th)
    _reading("la-morning", "2024-03-10T00:30:00-08:00"),  # Los Angeles, the 10th at 00:30 (08:30Z on the 10th)
    _reading("day-9", "2024-03-09"),  # dated by a day only: the same day in every zone
    _reading("day-10", "2024-03-10"),
    _reading("month", "2024-03"),
]


def test_since_keeps_the_local_day_in_auckland_and_los_angeles(tmp_path: Path) -> None:
    home = tmp_path / "home"
    readings = tmp_path / "readings.ndjson"
    readings.write_text("".join(json.dumps(r) + "\n" for r in READINGS))
    assert cli(home, "init").code == 0
    assert cli(home, "import", str(readings)).code == 0

    def kept(zone: str) -> set[str]:
        run = cli(home, "records", "--since", "2024-03-10", "--json", env={"TZ": zone})
        assert run.code == 0, run.stderr
        return {r["title"].removeprefix("Heart rate ") for r in run.json}

    # NZDT: la-eve is the 10th at 20:30 there, la-morning the 10th at 21:30
    assert kept("Pacific/Auckland") == {"nz-morning", "la-eve", "la-morning", "day-10", "month"}
    # PST: both Auckland readings are on the 9th there (02:30 and 03:30 in the morning)
    assert kept("America/Los_Angeles") == {"la-morning", "day-10", "month"}
    assert kept("UTC") == {"la-eve", "la-morning", "day-10", "month"}

    # the list shows each kept reading on or after the day, in that same zone
    table = cli(home, "records", "--since", "2024-03-10", env={"TZ": "Pacific/Auckland"}).stdout
    assert "2024-03-10 00:30 NZDT" in table and "2024-03-09 23:30" not in table and "2024-03-09 " not in table
    shown = cli(home, "records", env={"TZ": "Pacific/Auckland"}).stdout
    assert "2024-03-09 23:30 NZDT" in shown  # listed without --since, on the 9th

    wrong = cli(home, "records", "--since", "the 10th")
    assert wrong.code == 1 and "not a date" in wrong.stderr and "Traceback" not in wrong.stderr


def test_the_help_says_since_is_a_local_day(tmp_path: Path) -> None:
    run = cli(tmp_path / "home", "records", "--help", passphrase=None)
    assert run.code == 0 and "local midnight" in " ".join(run.stdout.split())

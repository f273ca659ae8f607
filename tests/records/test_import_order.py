"""Several files at once: a FHIR Bulk Data export's Patient file is read first, whatever the
order the files are named in, so the person is named by their own Patient resource."""

from __future__ import annotations

from pathlib import Path

from benchmarks.gen_lifetime import generate


def test_a_bulk_export_folder_names_its_person_from_the_patient_file(open_wallet, tmp_path: Path) -> None:
    folder = tmp_path / "export"
    generate(folder, 300, seed=5, lines_per_file=200)
    files = sorted(folder.glob("*.ndjson"))  # Condition…, Observation.000…, Patient.ndjson last
    assert files[-1].name == "Patient.ndjson"
    wallet = open_wallet("fresh")
    outcomes = wallet.import_paths(files)
    assert outcomes[0].path.name == "Patient.ndjson"
    assert all(o.error is None for o in outcomes)
    assert not any("has no Patient resource" in note for o in outcomes for note in o.result.notes)
    (owner,) = wallet.profiles()
    patient = next(r for r in wallet.summaries(types=["Patient"]))
    assert owner.patient.startswith(patient.summary.title)  # "Maja … (born …)", not an id


def test_a_folder_stands_for_the_record_files_in_it(open_wallet, tmp_path: Path) -> None:
    folder = tmp_path / "export"
    generate(folder, 300, seed=5, lines_per_file=200)
    (folder / ".partial.ndjson").write_text("not json\n")  # hidden: left out
    (folder / "README.txt").write_text("how this export was made\n")  # not a record file: left out
    (folder / "nested").mkdir()
    (folder / "nested" / "Other.ndjson").write_text("not json\n")  # not directly in the folder
    wallet = open_wallet("fresh")
    outcomes = wallet.import_paths([folder])
    assert [o.path.name for o in outcomes] == ["Patient.ndjson", *sorted(
        p.name for p in folder.glob("*.ndjson") if p.name != "Patient.ndjson" and not p.name.startswith("."))]
    assert all(o.error is None for o in outcomes)
    assert sum(o.result.total for o in outcomes) == 300


def test_a_folder_without_record_files_says_so_and_imports_nothing(open_wallet, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("no records here\n")
    wallet = open_wallet("fresh")
    (outcome,) = wallet.import_paths([tmp_path])
    assert outcome.error is not None and "is a folder with no health record files" in outcome.error.user_message
    assert wallet.record_counts().total == 0

"""What a restore says it brought back counts records as ``status`` does."""

from __future__ import annotations

from wallet.gui.restore_backup_page import restored_text
from wallet.records.importer import ImportResult
from wallet.services.backups import restored_counts, restored_words


def test_the_sharing_history_is_counted_apart_from_the_records() -> None:
    result = ImportResult("backup", imported={"Observation": 236, "Patient": 1, "Condition": 1, "Consent": 5,
                                              "AuditEvent": 2})
    assert restored_counts(result) == (238, 7)
    assert restored_words(result) == "238 records and this wallet's sharing history (7 entries)"
    assert restored_text("b" * 59, result).startswith(
        "Restored 238 records and this wallet's sharing history (7 entries) from your backup")
    only = ImportResult("backup", imported={"Patient": 1})
    assert restored_words(only) == "1 record" and restored_counts(only) == (1, 0)

"""JobRunner's "only the latest result counts": a superseded job is cancelled and its
result dropped, whatever it returns; other keys and plain jobs are untouched."""

from __future__ import annotations

import threading

import pytest

from wallet.events import CancelToken, ProgressSink
from wallet.gui.workers import JobRunner


@pytest.fixture
def runner(qapp):
    r = JobRunner("test-latest")
    yield r
    r.shutdown()


def _gated(gate: threading.Event, value: str):
    def job(_p: ProgressSink, cancel: CancelToken) -> str:
        gate.wait(30)
        return value

    return job


def test_a_superseded_result_is_dropped(qtbot, runner: JobRunner) -> None:
    gate = threading.Event()
    shown: list[str] = []
    first = runner.submit(_gated(gate, "old"), on_done=shown.append, latest="detail")
    second = runner.submit(lambda _p, _c: "new", on_done=shown.append, latest="detail")
    plain = runner.submit(lambda _p, _c: "plain", on_done=shown.append)
    assert first.cancel_token.cancelled and not second.cancel_token.cancelled
    assert runner.pending("detail")
    gate.set()  # the first job finishes anyway, returning "old"
    qtbot.waitUntil(lambda: not plain.running, timeout=10_000)
    assert shown == ["new", "plain"]  # "old" never reached its callback
    assert not first.running and not runner.pending("detail")


def test_drop_ignores_a_pending_failure_and_keeps_other_keys(qtbot, runner: JobRunner) -> None:
    gate = threading.Event()
    failures: list[str] = []
    done: list[str] = []

    def failing(_p: ProgressSink, _c: CancelToken) -> str:
        gate.wait(30)
        raise ValueError("boom")

    dropped = runner.submit(failing, on_failed=failures.append, on_cancelled=failures.append, latest="rows")
    kept = runner.submit(lambda _p, _c: "gas", on_done=done.append, latest="gas")
    runner.drop("rows")
    assert dropped.cancel_token.cancelled and not kept.cancel_token.cancelled
    gate.set()
    qtbot.waitUntil(lambda: not kept.running, timeout=10_000)
    assert failures == [] and done == ["gas"]


def test_a_cancelled_latest_job_that_was_never_superseded_reports(qtbot, runner: JobRunner) -> None:
    cancelled: list[str] = []
    gate = threading.Event()
    blocker = runner.submit(_gated(gate, "x"))
    ticket = runner.submit(lambda _p, c: c.check(), on_cancelled=cancelled.append, latest="open")
    ticket.cancel()
    gate.set()
    qtbot.waitUntil(lambda: not ticket.running and not blocker.running, timeout=10_000)
    assert len(cancelled) == 1

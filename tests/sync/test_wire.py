"""The wire's table, read by both sides: what the server answers an error with, the worker
turns back into an error of the same kind and exit code (fieldkit/sync/wire.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from fieldkit import errors
from fieldkit.district.store import DistrictStore
from fieldkit.errors import FieldkitError
from fieldkit.store.worker import WorkerStore
from fieldkit.sync import transport, wire, worker_side
from fieldkit.sync.enrolment import MAX_ENROL_BYTES, decode_code
from tests.conftest import PASSPHRASE
from tests.e2e.conftest import free_port
from tests.world import UNIT, ThreadServer, credentials, use_fast_kdf


def every_error_class() -> list[type[FieldkitError]]:
    found, todo = [], [FieldkitError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return [cls for cls in found if cls.__module__ == errors.__name__]


def round_trip(exc: FieldkitError) -> tuple[int, FieldkitError]:
    status, body = wire.answer(exc)
    return status, wire.error_for(status, json.dumps(body).encode())


@pytest.mark.parametrize("row", wire.ERRORS, ids=lambda row: row.error.__name__)
def test_each_error_the_wire_carries_comes_back_as_its_class_and_exit_code(row):
    sent = row.error("bundle.replayed", counter=3)
    status, back = round_trip(sent)
    assert status == row.status
    assert type(back) is row.error and back.exit_code == sent.exit_code
    assert back.key == row.key
    if "reason" in row.params:  # the worker repeats what the district said
        assert back.params["reason"] == sent.message


@pytest.mark.parametrize("cls", every_error_class(), ids=lambda cls: cls.__name__)
def test_every_error_class_of_the_core_round_trips_through_the_table(cls):
    sent = cls("bundle.replayed", counter=3)
    status, back = round_trip(sent)
    carried = [row for row in wire.ERRORS if isinstance(sent, row.error)]
    if carried:  # its own kind, with its exit code (a rejected bundle is an integrity error)
        assert status == carried[0].status and isinstance(back, carried[0].error)
        assert back.exit_code == sent.exit_code
    else:  # anything else the district raises is a bad request to the worker
        assert status == wire.BAD_REQUEST
        assert type(back) is errors.UsageError and back.exit_code == errors.USAGE


@pytest.mark.parametrize(
    ("status", "exit_code"),
    [
        (404, errors.USAGE),
        (wire.TOO_LARGE, errors.USAGE),
        (422, errors.USAGE),
        (wire.INTERNAL_ERROR, errors.OFFLINE),
        (502, errors.OFFLINE),
        (wire.UNAVAILABLE, errors.OFFLINE),
    ],
)
def test_statuses_without_a_row_of_their_own_take_their_class_s_row(status, exit_code):
    back = wire.error_for(status, b"<html>not json</html>")
    assert back.exit_code == exit_code
    assert back.message  # one line, even from a body that is not the district's


def test_a_fault_is_answered_without_the_exception_s_text():
    status, body = wire.fault(RuntimeError("Amélie Durand, 12 rue des Lilas"))
    assert status == wire.INTERNAL_ERROR and "Amélie" not in json.dumps(body)
    assert wire.error_for(status, json.dumps(body).encode()).exit_code == errors.OFFLINE
    full, _ = wire.fault(OSError(28, "No space left on device"))
    assert full == wire.UNAVAILABLE


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, bytes]]:
    """A real district server on loopback, and an enrolment request of a revoked worker."""
    use_fast_kdf(monkeypatch)
    url = f"http://127.0.0.1:{free_port()}"
    with DistrictStore.create(tmp_path / "district", PASSPHRASE, "District", url) as district:
        added, code = district.add_worker("Léa Martin", UNIT)
        district.revoke_worker(added.id)
    with WorkerStore.create(tmp_path / "lea", PASSPHRASE) as worker:
        request = worker_side.enrol_request(worker, decode_code(code))
    store = DistrictStore.open(tmp_path / "district", credentials())
    try:
        with ThreadServer(store, int(url.rsplit(":", 1)[1])):
            yield url, request
    finally:
        store.close()


def test_the_real_server_s_errors_reach_the_worker_as_the_table_says(served):
    url, revoked_request = served
    with pytest.raises(errors.Refused) as refused:
        transport.post(url, "/enrol", revoked_request, None, timeout=10)
    assert refused.value.exit_code == errors.REFUSED
    assert refused.value.params["reason"]  # the district's own words, repeated

    with pytest.raises(errors.IntegrityError) as rejected:
        transport.post(url, "/sync", b"not a bundle", None, timeout=10)
    assert rejected.value.key == "sync.server_rejected"
    assert rejected.value.exit_code == errors.INTEGRITY

    with pytest.raises(errors.UsageError) as too_large:
        transport.post(url, "/enrol", b"x" * (MAX_ENROL_BYTES + 1), None, timeout=10)
    assert too_large.value.params["status"] == wire.TOO_LARGE
    assert too_large.value.exit_code == errors.USAGE


def test_a_throttled_answer_is_a_try_again_later_for_the_worker():
    body = wire.body("serve.throttled", "too many enrolment attempts; try again in a minute")
    back = wire.error_for(wire.TOO_MANY, json.dumps(body).encode())
    assert isinstance(back, errors.Offline) and back.exit_code == errors.OFFLINE
    assert back.key == "sync.server_throttled" and back.params == {"status": 429}

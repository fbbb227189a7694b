"""Every parser that reads outside input, fed arbitrary and mutated bytes (hypothesis).

Parsers: the bundle decoder as the district and a worker meet it (sync bundles,
replies, enrolment requests and replies), the enrolment code, the key file, the
session token and session file, and the district server's HTTP bodies through the
real FastAPI app. For each: only fieldkit's own errors escape (never a raw
exception), and nothing is applied: the stores stay byte for byte as they were.
The CLI side of the same inputs is in test_fuzz_cli.py.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import zlib

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fieldkit.crypto.keyfile import KeyFile, unlock_keyfile
from fieldkit.district.exchange import handle
from fieldkit.district.limits import Limits
from fieldkit.district.server import create_app
from fieldkit.errors import (
    ERROR,
    INTEGRITY,
    OFFLINE,
    REFUSED,
    USAGE,
    FieldkitError,
    InvalidValue,
    StoreError,
    WrongPassphrase,
)
from fieldkit.store import session as sessions
from fieldkit.store.keys import keyfile_path, read_keyfile
from fieldkit.sync import worker_side
from fieldkit.sync.bundle import encode_bundle, open_bundle, read_header
from fieldkit.sync.enrolment import EnrolmentCode, decode_code, encode_code
from fieldkit.sync.payload import SyncReply
from tests.conftest import PASSPHRASE
from tests.security.conftest import store_bytes
from tests.security.mutate import FUZZ, SOME, arbitrary_or_mutated, mutated, mutated_text
from tests.world import FAST_KDF

# Bundles


@pytest.fixture
def genuine(template):
    return (template.bundle_a, template.reply_a, template.enrol_request_c, template.enrol_reply_c)


def refused_by(call, *args) -> FieldkitError:
    """Run `call`; it must raise one of fieldkit's errors and nothing else."""
    with pytest.raises(FieldkitError) as caught:
        call(*args)
    assert caught.value.message and caught.value.exit_code in (ERROR, USAGE, REFUSED, INTEGRITY)
    return caught.value


@FUZZ
@given(data=st.data())
def test_mutated_worker_bundles_are_refused_and_the_district_is_unchanged(opened, genuine, data):
    world, district, _ = opened
    before = store_bytes(world.district_home)
    bad = data.draw(arbitrary_or_mutated(world.bundle_a, genuine[1:]))
    refused_by(handle, district, bad)
    assert store_bytes(world.district_home) == before


@FUZZ
@given(data=st.data())
def test_mutated_enrolment_requests_are_refused_and_the_code_stays_unused(opened, genuine, data):
    world, district, _ = opened
    before = store_bytes(world.district_home)
    bad = data.draw(arbitrary_or_mutated(world.enrol_request_c, (genuine[0],)))
    refused_by(handle, district, bad)
    assert store_bytes(world.district_home) == before
    assert district.worker(world.worker_ids["c"]).worker.status.value == "pending"


@FUZZ
@given(data=st.data())
def test_mutated_replies_are_refused_and_the_worker_store_is_unchanged(opened, genuine, data):
    world, _, workers = opened
    before = store_bytes(world.homes["a"])
    bad = data.draw(arbitrary_or_mutated(world.reply_a, (genuine[0], genuine[3])))
    refused_by(worker_side.apply_reply, workers["a"], bad)
    assert store_bytes(world.homes["a"]) == before


@FUZZ
@given(data=st.data())
def test_mutated_enrolment_replies_are_refused_and_the_worker_stays_pending(opened, genuine, data):
    world, _, workers = opened
    before = store_bytes(world.homes["c"])
    bad = data.draw(arbitrary_or_mutated(world.enrol_reply_c, (genuine[1],)))
    refused_by(worker_side.enrol_complete, workers["c"], bad)
    assert store_bytes(world.homes["c"]) == before
    assert workers["c"].worker_id is None


def test_the_genuine_inputs_are_accepted(opened):
    """The mutations above start from inputs that do go through: the refusals are earned."""
    world, district, workers = opened
    assert handle(district, world.bundle_a).applied == 1
    assert worker_side.apply_reply(workers["a"], world.reply_a).status == "ok"
    assert handle(district, world.enrol_request_c).kind == "enrol-reply"
    assert worker_side.enrol_complete(workers["c"], world.enrol_reply_c).worker_id


# A payload signed and encrypted by the genuine district key, whose JSON is damaged: the
# decoder must refuse it whole or apply it whole, never fail half-way.


@SOME
@given(data=st.data())
def test_damaged_payloads_signed_by_the_district_apply_whole_or_not_at_all(opened, data):
    world, district, workers = opened
    worker = workers["a"]
    header, payload = open_bundle(
        world.reply_a,
        recipient=worker.identity(),
        recipient_id=worker.replica_id,
        sender_key=lambda _: district.identity().public,
    )
    damaged = data.draw(mutated(payload))
    from fieldkit.replica import meta

    counter = meta.get_int(worker.conn, "district_counter_in") + 1
    resealed = encode_bundle(
        header.model_copy(update={"counter": counter}),
        damaged,
        district.identity(),
        worker.identity().public,
    )
    before = store_bytes(world.homes["a"])
    try:
        worker_side.apply_reply(worker, resealed)
    except FieldkitError as exc:
        assert exc.exit_code in (ERROR, USAGE, REFUSED, INTEGRITY)
        assert store_bytes(world.homes["a"]) == before
    else:
        # Accepted only when the damaged bytes still form a valid reply.
        SyncReply.model_validate_json(damaged)


# Enrolment codes


@FUZZ
@given(text=st.one_of(st.text(max_size=300), st.just("FK1-") | st.text(max_size=40)))
def test_arbitrary_text_is_not_an_enrolment_code(text):
    try:
        code = decode_code(text)
    except InvalidValue as exc:
        assert exc.key == "enrol.bad_code" and exc.exit_code == USAGE
    else:
        assert isinstance(code, EnrolmentCode)


@FUZZ
@given(data=st.data())
def test_mutated_enrolment_codes_decode_to_a_valid_code_or_are_refused(template, data):
    bad = data.draw(mutated_text(template.code_c))
    try:
        code = decode_code(bad)
    except InvalidValue as exc:
        assert exc.key == "enrol.bad_code"
    else:
        # base64 ignores some characters: what decodes must be a whole, valid code.
        code.district_identity()
        assert code.secret and code.worker_id


@st.composite
def code_fields(draw: st.DrawFn, genuine: dict) -> dict:
    fields = dict(genuine)
    scalar = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=80)
    value = st.recursive(
        scalar,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=6,
    )
    for name in draw(st.lists(st.sampled_from([*sorted(fields), "extra"]), min_size=1)):
        if draw(st.booleans()):
            fields.pop(name, None)
        else:
            fields[name] = draw(value)
    if draw(st.booleans()) and isinstance(fields.get("district_keys"), dict):
        keys = dict(fields["district_keys"])
        keys[draw(st.sampled_from([*sorted(keys), "x"]))] = draw(st.text(max_size=60))
        fields["district_keys"] = keys
    return fields


@FUZZ
@given(data=st.data())
def test_enrolment_codes_with_damaged_fields_are_refused(template, data):
    genuine = decode_code(template.code_c).model_dump()
    fields = data.draw(code_fields(genuine))
    body = zlib.compress(json.dumps(fields).encode(), 9)
    text = "FK1-" + base64.urlsafe_b64encode(body).decode().rstrip("=")
    try:
        code = decode_code(text)
    except InvalidValue as exc:
        assert exc.key == "enrol.bad_code"
    else:
        assert code.model_dump() == EnrolmentCode.model_validate(fields).model_dump()
        assert decode_code(encode_code(code)) == code


# Key files


@FUZZ
@given(data=st.data())
def test_mutated_key_files_are_refused_as_damaged_or_read_whole(sandbox, data):
    path = keyfile_path(sandbox.homes["a"], "worker")
    genuine = path.read_bytes()
    bad = data.draw(arbitrary_or_mutated(genuine))
    path.write_bytes(bad)
    try:
        keyfile = read_keyfile(sandbox.homes["a"], "worker")
    except StoreError as exc:
        assert exc.key in ("store.keyfile_damaged", "store.missing")
        return
    finally:
        path.write_bytes(genuine)
    # A key file that still parses (whitespace, key order...) opens with the passphrase
    # or is a wrong passphrase: never anything else.
    assert keyfile.kind == "worker"
    if keyfile.kdf["memory_kib"] > 4 * FAST_KDF["memory_kib"] or keyfile.kdf["iterations"] > 2:
        return  # a tampered cost: bounded by the reader, but not worth paying here
    with contextlib.suppress(WrongPassphrase):
        unlock_keyfile(keyfile, PASSPHRASE)


@FUZZ
@given(text=st.text(max_size=400))
def test_arbitrary_text_is_not_a_key_file(text):
    with pytest.raises(StoreError):
        KeyFile.from_json(text)


# Sessions: the token comes from the environment, the sealed file from a shared runtime dir.


@pytest.fixture
def live_session(opened, tmp_path, monkeypatch):
    _, _, workers = opened
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    worker = workers["a"]
    token, _ = worker.start_session(3600)
    (path,) = sessions.sessions_dir(worker.home, worker.store_id).glob("*.json")
    return worker, token, path


@FUZZ
@given(data=st.data())
def test_mutated_session_tokens_open_nothing(live_session, data):
    worker, token, _ = live_session
    bad = data.draw(st.one_of(mutated_text(token), st.text(max_size=120)))
    found = sessions.resume_session(worker.home, worker.store_id, bad)
    # Only the genuine session's key (base64 skips stray characters) or nothing.
    assert found is None or found[0] == worker._data_key


@FUZZ
@given(data=st.data())
def test_damaged_session_files_open_nothing(live_session, data):
    worker, token, path = live_session
    genuine = path.read_bytes()
    record = json.loads(genuine)
    structured = st.fixed_dictionaries(
        {},
        optional={
            name: st.one_of(
                st.none(),
                st.integers(),
                st.floats(),
                st.text(max_size=40),
                st.lists(st.integers(), max_size=3),
                st.just(record[name]),
            )
            for name in record
        },
    ).map(lambda d: json.dumps(d).encode())
    bad = data.draw(st.one_of(arbitrary_or_mutated(genuine), structured))
    path.write_bytes(bad)
    try:
        found = sessions.resume_session(worker.home, worker.store_id, token)
    finally:
        path.write_bytes(genuine)  # put back (a file that looks expired is even removed)
    assert found is None or found[0] == worker._data_key


@pytest.mark.parametrize(
    "expires", ["Infinity", "-Infinity", "NaN", "1e400", "10" * 200, '"soon"', "null", "[]"]
)
def test_a_session_file_with_an_impossible_expiry_opens_nothing(live_session, expires):
    worker, token, path = live_session
    record = json.loads(path.read_bytes())
    raw = json.dumps({**record, "expires": 0}).replace('"expires": 0', f'"expires": {expires}')
    path.write_text(raw)
    assert sessions.resume_session(worker.home, worker.store_id, token) is None


# HTTP bodies, through the real app in process (ASGI)


@pytest.fixture
def http(opened):
    world, district, _ = opened
    # Enrolment throttling is not what is fuzzed here (tests/e2e/test_hostile_server.py).
    unthrottled = Limits(enrol_per_address=10**6, enrol_per_code=10**6)
    app = create_app(district, limits=unthrottled)
    runner = asyncio.Runner()

    def post(path: str, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://district") as c:
                return await c.post(path, content=body, headers=headers or {})

        return runner.run(go())

    try:
        yield world, post
    finally:
        runner.close()


@FUZZ
@given(data=st.data(), path=st.sampled_from(["/v1/sync", "/v1/enrol"]))
def test_http_bodies_never_get_a_server_error_and_apply_nothing(http, genuine, data, path):
    world, post = http
    before = store_bytes(world.district_home)
    body = data.draw(
        st.one_of(arbitrary_or_mutated(genuine[0], genuine[1:]), mutated(genuine[2], genuine))
    )
    answer = post(path, body, {"content-type": "application/vnd.fieldkit.bundle"})
    assert answer.status_code in (400, 403, 409, 413), answer.status_code
    if answer.status_code != 403 or not answer.content.startswith(b"FKBUNDLE"):
        assert set(answer.json()) <= {"error", "code"}
    assert store_bytes(world.district_home) == before


@SOME
@given(
    length=st.one_of(st.text(max_size=12), st.integers(-5, 2**70).map(str), st.just("99999999999")),
    body=st.binary(max_size=64),
)
def test_lying_content_lengths_never_get_a_server_error(http, length, body):
    world, post = http
    before = store_bytes(world.district_home)
    try:
        answer = post("/v1/sync", body, {"content-length": length})
    except (httpx.HTTPError, ValueError):
        return  # the client itself refused to send such a header
    assert answer.status_code < 500, answer.status_code
    assert store_bytes(world.district_home) == before


def test_the_genuine_bundle_goes_through_the_app(http):
    world, post = http
    answer = post("/v1/sync", world.bundle_a)
    assert answer.status_code == 200 and answer.content.startswith(b"FKBUNDLE")
    assert post("/v1/sync", world.bundle_a).status_code == 409  # and only once


def test_a_bundle_claiming_to_be_from_another_worker_is_refused(opened):
    """B's genuine key, A's name in the header: refused before anything is decrypted."""
    world, district, workers = opened
    a, b = workers["a"], workers["b"]
    claimed = read_header(world.bundle_a).model_copy(
        update={"counter": 10**6, "sender_key": b.identity().public.fingerprint_hex}
    )
    forged = encode_bundle(claimed, b"{}", b.identity(), district.identity().public)
    resigned = world.bundle_a[:-64] + b.identity().sign(world.bundle_a[:-64])
    before = store_bytes(world.district_home)
    assert refused_by(handle, district, forged).key == "bundle.sender_key_mismatch"
    assert refused_by(handle, district, resigned).key == "bundle.bad_signature"
    assert store_bytes(world.district_home) == before
    assert read_header(world.bundle_a).sender == a.replica_id


# The worker's settings file (fieldkit/config.py)

config = pytest.importorskip("fieldkit.config")
GENUINE_SETTINGS = b"# fieldkit settings\nauto_sync = true\nauto_sync_timeout = 20\n"


@FUZZ
@given(
    raw=st.one_of(
        arbitrary_or_mutated(GENUINE_SETTINGS),
        st.text(max_size=200).map(str.encode),
        st.builds(
            lambda key, value: f"{key} = {value}\n".encode(),
            st.sampled_from(["auto_sync", "auto_sync_timeout", "x", '"auto_sync"', "[t]"]),
            st.sampled_from(["true", "0", "-1", "1e9", '"oui"', "[]", "{}", "2", "300", "301"])
            | st.integers().map(str),
        ),
    )
)
def test_damaged_settings_files_are_usage_errors_or_valid_settings(tmp_path_factory, raw):
    home = tmp_path_factory.getbasetemp() / "settings-fuzz"
    home.mkdir(exist_ok=True)
    config.path_of(home).write_bytes(raw)
    try:
        loaded = config.load(home)
    except FieldkitError as exc:
        assert exc.exit_code == USAGE and exc.message
        assert "Traceback" not in exc.message
    else:
        assert isinstance(loaded.auto_sync, bool)
        assert 2 <= loaded.auto_sync_timeout <= 300


def test_the_cli_reports_a_damaged_settings_file_in_one_line(sandbox, fk):
    home = sandbox.homes["a"]
    config.path_of(home).write_bytes(b"auto_sync = [\xff")
    result = fk.run(home, "config", "show")
    assert result.exit_code == USAGE, (result.stdout, result.stderr)
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output


# What the client reads back over HTTP: any status, any body, from a real local server


class _Answers:
    """A plain HTTP server on 127.0.0.1 that answers every request with what it is told."""

    def __init__(self) -> None:
        import http.server
        import threading

        answers = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", "0")))
                self.send_response(answers.status)
                self.send_header("content-length", str(len(answers.body)))
                self.end_headers()
                self.wfile.write(answers.body)

            def log_message(self, *args) -> None:
                pass

        self.status, self.body = 200, b""
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def answers():
    server = _Answers()
    yield server
    server.close()


JSON_BODIES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=5,
).map(lambda value: json.dumps(value).encode())


@FUZZ
@given(
    status=st.sampled_from([200, 201, 400, 401, 403, 404, 409, 413, 422, 500, 502, 503]),
    body=st.one_of(
        JSON_BODIES,
        st.binary(max_size=300),
        st.builds(lambda d: json.dumps({"error": d}).encode(), JSON_BODIES.map(bytes.decode)),
    ),
)
def test_any_server_answer_is_a_fieldkit_error_or_bytes_for_the_bundle_decoder(
    answers, status, body
):
    from fieldkit.sync import transport

    answers.status, answers.body = status, body
    try:
        got = transport.post(answers.url, "/sync", b"bundle", None, timeout=5)
    except FieldkitError as exc:
        assert exc.message and exc.exit_code in (USAGE, OFFLINE, REFUSED, INTEGRITY)
    else:
        assert status < 400 and got == body

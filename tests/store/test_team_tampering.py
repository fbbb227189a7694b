"""Tampering with the case team's sealed texts and grants (issue 16, "Tampering").

Real worker and district stores in temporary homes, synced through the library
(`api_sync`: the bytes a file or the server would carry). The district here is hostile:
it writes into its own store what a compromised server (or whoever holds its database)
could relay in its replies — sealed values moved to another case, field or follow-up,
grants of its own. A worker device is hostile too, granting to someone off the team.

- A moved sealed value reads as unreadable on the device that opens it: no crash, the
  field listed in `unreadable`, the value never shown where it was moved, and every
  other reading of the store as it was.
- A grant to a non-member is refused by the district: recorded as dropped (never
  listed to the District Officer, never applied or relayed), and acknowledged.
- A forged grant, whose key is not its key id's, is refused by the grantee: counted in
  `grants_refused`, never kept; the texts under that key id stay unreadable, and the
  real key, granted later by a colleague, does not open the district's forgery.
- A key the district granted opens texts but is never written under.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from fieldkit.crypto.casekeys import (
    CaseKey,
    Grant,
    grant_info,
    make_grant,
    seal_value,
    sealed_kid,
)
from fieldkit.crypto.envelope import seal_to
from fieldkit.district.store import DistrictStore
from fieldkit.model import Change, FollowUpKind
from fieldkit.replica import cases, changelog, followups, grants, merge
from fieldkit.store import team
from fieldkit.store.db import transaction
from fieldkit.store.worker import WorkerStore
from fieldkit.sync import worker_side
from fieldkit.sync.payload import SyncReply
from tests.conftest import PASSPHRASE
from tests.world import UNIT, Fieldkit, World, api_sync, api_world, enrol_api

TODAY = date.today()
MARKER = "ZQX-7781 Amélie parle de son frère"
SITUATION = "ZQX-5530 situation familiale tendue"
PLANS = "ZQX-2204 rendez-vous à la Mission locale"


@pytest.fixture
def world(tmp_path: Path) -> World:
    return api_world(tmp_path)  # fast KDF: tests/store/conftest.py


@pytest.fixture
def stores(world: World) -> Iterator[tuple[DistrictStore, WorkerStore, WorkerStore]]:
    with world.open_district() as d, world.open_worker("a") as a, world.open_worker("b") as b:
        yield d, a, b


def note(worker: WorkerStore, case_id: str, summary: str, **extra: Any):
    return worker.add_followup(
        case_id,
        kind=FollowUpKind.INTERVIEW,
        summary=summary,
        occurred_on=TODAY,
        today=TODAY,
        **extra,
    )


def raw_followup(store, followup_id: str):
    """The follow-up as the store keeps it: its team texts sealed."""
    return followups.get(store.conn, followup_id)


def raw_case_field(store, case_id: str, name: str) -> Any:
    return getattr(cases.load(store.conn, case_id), name)


def relay(district: DistrictStore, **change: Any) -> Change:
    """What a hostile district writes in its own store, logged and applied as its own
    writes are: relayed to the team in its next replies like any change."""
    with transaction(district.conn):
        made = changelog.new_local(
            district.conn,
            origin=district.replica_id,
            author=change.pop("author", "district"),
            entity=change.pop("entity"),
            entity_id=change.pop("entity_id"),
            case_id=change.pop("case_id"),
            op=change.pop("op"),
            fields=change.pop("fields"),
        )
        merge.apply(district.conn, made)
    return made


def readings(worker: WorkerStore) -> dict:
    """Everything the worker reads, case by case, as its screens get it."""
    seen = {}
    for case in worker.list_cases():
        opened, items = worker.get_case(case.id)
        seen[case.id] = (
            opened.model_dump(mode="json"),
            sorted((f.model_dump(mode="json") for f in items), key=lambda f: f["id"]),
        )
    return seen


def shown(fk: Fieldkit, home: Path, *args: str) -> str:
    result = fk.run(home, *args)
    assert result.exit_code == 0, (args, result.stdout, result.stderr, result.exception)
    assert result.exception is None
    return result.stdout


# Sealed values moved by the district


def test_a_sealed_value_moved_to_another_case_reads_as_unreadable(world: World):
    fk = Fieldkit()
    with world.open_district() as d, world.open_worker("a") as a, world.open_worker("b") as b:
        other = d.add_case(name="Yanis Morel", unit=UNIT)
        d.assign(other.id, world.worker_ids["a"], lead=True)
        d.assign(other.id, world.worker_ids["b"])
        api_sync(d, a)
        a.update_case(world.case_id, situation=SITUATION)
        first = note(a, world.case_id, MARKER)
        note(a, other.id, "Premier entretien avec Yanis")  # the other case has its key
        api_sync(d, a)
        api_sync(d, b)
        assert b.get_case(world.case_id)[0].situation == SITUATION
        before = readings(b)

        # The district copies the first case's sealed situation and follow-up onto the
        # other case, under ids of the other case.
        relay(
            d,
            entity="case",
            entity_id=other.id,
            case_id=other.id,
            op="update",
            fields={"situation": raw_case_field(d, world.case_id, "situation")},
        )
        moved = "e" * 32
        fields = raw_followup(d, first.id).model_dump(
            mode="json", exclude={"id", "case_id", "amendments", "hlc", "unreadable"}
        )
        relay(
            d,
            entity="followup",
            entity_id=moved,
            case_id=other.id,
            op="add",
            author=world.worker_ids["a"],
            fields=fields,
        )
        _outcome, result = api_sync(d, b)
        assert result.status == "ok" and result.received == 2

        case, items = b.get_case(other.id)
        assert case.situation == "" and case.unreadable == ["situation"]
        [copy] = [f for f in items if f.id == moved]
        assert copy.summary == "" and "summary" in copy.unreadable
        # The first case reads as it did; the other case's own note too.
        after = readings(b)
        assert after[world.case_id] == before[world.case_id]
        assert [f for f in after[other.id][1] if f["id"] != moved] == before[other.id][1]
        reference = case.reference
    # On screen, the other case shows neither text, and says what it cannot read.
    home = world.homes["b"]
    screen = shown(fk, home, "case", "show", reference)
    assert MARKER not in screen and SITUATION not in screen
    listed = fk.json(home, "followup", "list", reference)
    assert all(MARKER not in item["summary"] for item in listed)
    assert any("summary" in item["unreadable"] for item in listed)
    assert MARKER not in shown(fk, home, "case", "summary", reference)


def test_a_sealed_value_moved_to_another_field_reads_as_unreadable(stores, world: World):
    d, a, b = stores
    a.update_case(world.case_id, situation=SITUATION)
    first = note(a, world.case_id, MARKER, next_steps=PLANS)
    api_sync(d, a)
    api_sync(d, b)
    before = readings(b)
    assert b.get_followup(first.id).next_steps == PLANS

    # The situation's sealed value put in `related`; the summary's in `next_steps`, as an
    # amendment that claims to be Léa's.
    relay(
        d,
        entity="case",
        entity_id=world.case_id,
        case_id=world.case_id,
        op="update",
        fields={"related": raw_case_field(d, world.case_id, "situation")},
    )
    relay(
        d,
        entity="followup",
        entity_id=first.id,
        case_id=world.case_id,
        op="amend",
        author=world.worker_ids["a"],
        fields={"next_steps": raw_followup(d, first.id).summary},
    )
    _, result = api_sync(d, b)
    assert result.status == "ok" and result.received == 2

    case, items = b.get_case(world.case_id)
    assert case.related == [] and case.unreadable == ["related"]
    assert case.situation == SITUATION  # the field it came from still reads
    [item] = items
    current = item.current()
    assert item.unreadable == ["next_steps"]
    assert current.next_steps is None and current.summary == MARKER
    assert MARKER not in (current.next_steps or "")
    # Nothing else moved: the case's other fields, the follow-up's other fields.
    old_case, [old_item] = before[world.case_id]
    new_case = case.model_dump(mode="json")
    assert {k: v for k, v in new_case.items() if k not in ("related", "unreadable")} == {
        k: v for k, v in old_case.items() if k not in ("related", "unreadable")
    }
    assert item.model_dump(mode="json", exclude={"amendments", "unreadable"}) == {
        k: v for k, v in old_item.items() if k not in ("amendments", "unreadable")
    }


def test_a_sealed_value_moved_to_another_followup_reads_as_unreadable(stores, world: World):
    d, a, b = stores
    first = note(a, world.case_id, MARKER, partners=["Mission locale"])
    api_sync(d, a)
    api_sync(d, b)
    before = readings(b)

    # A follow-up of the same case under the same key, its texts copied from the first.
    stored = raw_followup(d, first.id)
    moved = "e" * 32
    fields = stored.model_dump(
        mode="json", exclude={"id", "case_id", "amendments", "hlc", "unreadable"}
    )
    assert sealed_kid(fields["summary"]) in team.keyring(b, world.case_id)
    relay(
        d,
        entity="followup",
        entity_id=moved,
        case_id=world.case_id,
        op="add",
        author=world.worker_ids["a"],
        fields=fields,
    )
    _, result = api_sync(d, b)
    assert result.status == "ok" and result.received == 1

    items = {f.id: f for f in b.list_followups(world.case_id)}
    copy = items[moved]
    assert copy.summary == "" and copy.partners == []
    assert set(copy.unreadable) == {"summary", "partners"}
    assert items[first.id].summary == MARKER and items[first.id].unreadable == []
    assert readings(b)[world.case_id][0] == before[world.case_id][0]


# Grants from a worker to someone off the team


def enrol_third(world: World, d: DistrictStore, name: str = "Sofiane Haddad"):
    """A third enrolled worker of the district, not on the case."""
    added, code = d.add_worker(name, UNIT)
    home = world.root / "c"
    c = WorkerStore.create(home, PASSPHRASE)
    enrol_api(d, c, code)
    return added.id, c


def crafted_grant(a: WorkerStore, case_id: str, grantee: str, public, **changed) -> Change:
    """A grant of a's current key to `grantee`, under a's next sequence number, never
    applied on a's own device: what a tampered device could send. The key, and its
    genuine grants to the team, are made and sent before."""
    with transaction(a.conn):
        key = team.writing_key(a, case_id)
    made = make_grant(key, grantee, public, a.author, a.identity())
    made = replace(made, **changed) if changed else made
    with transaction(a.conn):
        return changelog.new_local(
            a.conn,
            origin=a.replica_id,
            author=a.author,
            entity=grants.ENTITY,
            entity_id=grants.entity_id(made.kid, made.grantee),
            case_id=case_id,
            op="add",
            fields=made.fields(),
        )


def dropped(d: DistrictStore, change: Change) -> list[tuple]:
    return d.conn.execute(
        "SELECT reason, status FROM refusals WHERE origin = ? AND seq = ?",
        (change.origin, change.seq),
    ).fetchall()


def test_a_grant_to_a_non_member_is_refused_by_the_district(world: World):
    from tests.district.conftest import send

    with world.open_district() as d, world.open_worker("a") as a, world.open_worker("b") as b:
        c_id, c = enrol_third(world, d)
        with c:
            note(a, world.case_id, MARKER)
            api_sync(d, a)
            c_public = d.worker(c_id).public_identity()
            refusals_before = d.refusals()
            attempts = [
                # To an enrolled worker off the team.
                crafted_grant(a, world.case_id, c_id, c_public),
                # To a member's name with another device's key.
                crafted_grant(a, world.case_id, world.worker_ids["b"], c_public),
                # To a recovery key the district does not have.
                crafted_grant(a, world.case_id, "recovery-7", c_public),
                # To someone the district does not know.
                crafted_grant(a, world.case_id, "w-nobody", c_public),
            ]
            outcome, reply, ack = send(d, a, attempts)
            assert reply.refused == [] and outcome.refused == 0 and outcome.applied == 0
            assert ack == attempts[-1].seq  # acknowledged: the device moves on
            for change in attempts:
                assert dropped(d, change) == [("grant-not-member", "dropped")]
                assert changelog.seen(d.conn, change.id) is False
            assert not {row[0] for row in d.conn.execute("SELECT grantee FROM grants")} & {
                c_id,
                "recovery-7",
                "w-nobody",
            }
            assert d.refusals() == refusals_before  # never shown to the District Officer
            # Neither the grants nor the refusals reach the team.
            api_sync(d, b)
            assert not {row[0] for row in b.conn.execute("SELECT grantee FROM grants")} & {
                c_id,
                "recovery-7",
                "w-nobody",
            }
            assert b.refused_changes(include_decided=True) == []
            # The non-member holds no case and no key.
            api_sync(d, c)
            assert c.list_cases() == []
            assert c.conn.execute("SELECT count(*) FROM case_keys").fetchone() == (0,)
            # A's genuine work after it still goes through.
            note(a, world.case_id, SITUATION)
            _, result = api_sync(d, a)
            assert worker_side.queued(a) == 0 and result.refused == []
            assert a.refused_changes(include_decided=True) == []
    listed = Fieldkit().json(world.district_home, "district", "refusals", "list")
    assert listed == []


def test_a_grant_signed_for_another_granter_is_dropped(stores, world: World):
    from tests.district.conftest import send

    d, a, _ = stores
    note(a, world.case_id, MARKER)
    api_sync(d, a)
    b_public = d.worker(world.worker_ids["b"]).public_identity()
    # Léa's device sends a grant that says Karim made it.
    change = crafted_grant(a, world.case_id, world.worker_ids["b"], b_public, granter="w-other")
    _outcome, reply, ack = send(d, a, [change])
    assert reply.refused == [] and ack == change.seq
    assert dropped(d, change) == [("author", "dropped")]
    assert d.refusals() == []


# Grants forged by the district


def forged_grant(d: DistrictStore, case_id: str, kid: str, epoch: int, grantee: str, public):
    """A key of the district's own, sealed to the grantee under the right info, with
    the id of a real key of the case, and signed with the district's own key."""
    own = CaseKey.new(case_id, epoch)
    fingerprint = public.fingerprint_hex
    info = grant_info(case_id, kid, grantee, fingerprint)
    unsigned = Grant(
        case_id, kid, epoch, grantee, fingerprint, "district", seal_to(public, own.key, info), b""
    )
    signed = replace(unsigned, signature=d.identity().sign(unsigned.signed_message()))
    relay(
        d,
        entity=grants.ENTITY,
        entity_id=grants.entity_id(kid, grantee),
        case_id=case_id,
        op="add",
        fields=signed.fields(),
    )
    return CaseKey(case_id, kid, epoch, own.key)  # the district's key, named as the real one


def test_a_forged_grant_is_refused_by_the_grantee(world: World):
    with world.open_district() as d, world.open_worker("a") as a, world.open_worker("b") as b:
        first = note(a, world.case_id, MARKER)
        api_sync(d, a)
        api_sync(d, b)
        real_kid = sealed_kid(raw_followup(a, first.id).summary)
        c_id, c = enrol_third(world, d)
        with c:
            d.assign(world.case_id, c_id)
            api_sync(d, c)  # the newcomer holds the case, not yet the key
            # Before any colleague syncs, the district grants a key of its own under the
            # real key's id, and writes a follow-up under it, as Léa.
            c_public = d.worker(c_id).public_identity()
            fake = forged_grant(d, world.case_id, real_kid, 1, c_id, c_public)
            planted = "d" * 32
            relay(
                d,
                entity="followup",
                entity_id=planted,
                case_id=world.case_id,
                op="add",
                author=world.worker_ids["a"],
                fields={
                    **raw_followup(d, first.id).model_dump(
                        mode="json",
                        exclude={"id", "case_id", "amendments", "hlc", "unreadable"},
                    ),
                    "summary": seal_value(fake, "followup", planted, "summary", "Texte planté"),
                },
            )
            _, result = api_sync(d, c)
            assert result.status == "ok"
            assert result.grants_refused == 1 and result.keys_learned == 0
            assert team.keyring(c, world.case_id) == {}  # never kept
            items = {f.id: f for f in c.list_followups(world.case_id)}
            assert items[first.id].unreadable and items[planted].unreadable
            assert items[planted].summary == "" and items[first.id].summary == ""

            # A colleague syncs and grants the real key: the team's text opens, the
            # district's forgery, under the same key id, still does not.
            # (its grant made as it applies the reply, and sent at its next round trip,
            # as `fieldkit sync` does at once).
            _, by_b = api_sync(d, b)
            assert by_b.granted == 1
            assert [(m["case_id"], m["worker_id"]) for m in by_b.newcomers] == [
                (world.case_id, c_id)
            ]
            api_sync(d, b)
            _, result = api_sync(d, c)
            assert result.keys_learned == 1
            [kept] = team.keyring(c, world.case_id).values()
            assert kept.kid == real_kid and kept.key != fake.key
            items = {f.id: f for f in c.list_followups(world.case_id)}
            assert items[first.id].summary == MARKER and items[first.id].unreadable == []
            assert items[planted].summary == "" and "summary" in items[planted].unreadable
            assert all("planté" not in f.summary for f in items.values())


def test_a_grant_forged_in_a_colleagues_name_is_refused(stores, world: World):
    d, _a, b = stores
    # A key of the district's, sealed to Karim, signed by the district but naming Léa
    # as its granter: her signature is the one that must verify, and does not.
    b_public = d.worker(world.worker_ids["b"]).public_identity()
    own = CaseKey.new(world.case_id, 1)
    made = make_grant(own, world.worker_ids["b"], b_public, "district", d.identity())
    made = replace(made, granter=world.worker_ids["a"])
    made = replace(made, signature=d.identity().sign(made.signed_message()))
    relay(
        d,
        entity=grants.ENTITY,
        entity_id=grants.entity_id(own.kid, world.worker_ids["b"]),
        case_id=world.case_id,
        op="add",
        fields=made.fields(),
    )
    _, result = api_sync(d, b)
    assert result.grants_refused == 1 and result.keys_learned == 0
    assert own.kid not in team.keyring(b, world.case_id)


# Keys the district granted


def test_a_key_the_district_granted_opens_texts_but_is_never_written_under(stores, world):
    d, _a, b = stores
    # A case no one has written on yet; the district grants Karim a key it made (as
    # `district seal-team-texts` or `district recover` would) and seals a text under it.
    other = d.add_case(name="Yanis Morel", unit=UNIT)
    d.assign(other.id, world.worker_ids["b"], lead=True)
    given = CaseKey.new(other.id, 1)
    b_public = d.worker(world.worker_ids["b"]).public_identity()
    made = make_grant(given, world.worker_ids["b"], b_public, "district", d.identity())
    relay(
        d,
        entity=grants.ENTITY,
        entity_id=grants.entity_id(given.kid, world.worker_ids["b"]),
        case_id=other.id,
        op="add",
        fields=made.fields(),
    )
    relay(
        d,
        entity="case",
        entity_id=other.id,
        case_id=other.id,
        op="update",
        fields={"situation": seal_value(given, "case", other.id, "situation", SITUATION)},
    )
    _, result = api_sync(d, b)
    assert result.keys_learned == 1 and result.grants_refused == 0
    assert b.get_case(other.id)[0].situation == SITUATION  # it opens
    sources = dict(
        b.conn.execute("SELECT kid, source FROM case_keys WHERE case_id = ?", (other.id,))
    )
    assert sources == {given.kid: team.DISTRICT}

    # Karim writes: under a new key of the team, of the next epoch, not the district's.
    written = note(b, other.id, MARKER)
    kid = sealed_kid(raw_followup(b, written.id).summary)
    assert kid != given.kid
    keys = team.keyring(b, other.id)
    assert keys[kid].epoch == 2
    sources = dict(
        b.conn.execute("SELECT kid, source FROM case_keys WHERE case_id = ?", (other.id,))
    )
    assert sources == {given.kid: team.DISTRICT, kid: team.TEAM}
    with transaction(b.conn):
        assert team.writing_key(b, other.id).kid == kid
    b.update_case(other.id, situation="Stable")
    assert sealed_kid(raw_case_field(b, other.id, "situation")) == kid
    assert b.get_followup(written.id).summary == MARKER


def test_the_replies_carry_no_refused_grant_back(stores, world: World):
    """A dropped grant is not a refusal the worker must see or decide on."""
    from tests.district.conftest import send

    d, a, _ = stores
    note(a, world.case_id, MARKER)
    api_sync(d, a)
    change = crafted_grant(a, world.case_id, "w-nobody", a.identity().public)
    _, reply, _ = send(d, a, [change])
    assert isinstance(reply, SyncReply) and reply.refused == [] and reply.decisions == []

"""The district's recovery keys: the public half of each generation, never the private one.

A generation is created with its private half (`new_generation`), which the caller prints
on the recovery sheet and forgets; the district keeps in its settings (`meta`, on both
backends) only the public identity, its fingerprint and the day it was made, under
``recovery_key.<N>``. The grantee id of generation N is ``recovery-<N>``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from fieldkit.crypto.identity import Identity, PublicIdentity
from fieldkit.errors import Refused
from fieldkit.replica import meta
from fieldkit.store import audit
from fieldkit.store.db import Connection, transaction

if TYPE_CHECKING:
    from fieldkit.district.store import DistrictStore

_PREFIX = "recovery_key."
GRANTEE_PREFIX = "recovery-"


def grantee(generation: int) -> str:
    """The grantee id of a generation's grants: ``recovery-N``."""
    return f"{GRANTEE_PREFIX}{generation}"


@dataclass(frozen=True)
class Generation:
    """One recovery key as the district knows it: its public half only."""

    number: int
    public: PublicIdentity
    created_at: str  # ISO 8601, UTC, to the second

    @property
    def grantee(self) -> str:
        return grantee(self.number)

    @property
    def fingerprint(self) -> str:
        return self.public.fingerprint

    def to_json(self) -> dict[str, object]:
        return {
            "generation": self.number,
            "grantee": self.grantee,
            "fingerprint": self.public.fingerprint_hex,
            "created_at": self.created_at,
        }


def generations(conn: Connection) -> list[Generation]:
    """Every generation, oldest first, on a connection (the exchange's and checks' way)."""
    # The settings are few: read their names and keep ours (no LIKE, whose escapes and
    # collation differ between the backends).
    found = []
    for key in meta.keys(conn):
        suffix = key[len(_PREFIX) :]
        if not key.startswith(_PREFIX) or not suffix.isdigit():
            continue
        data = json.loads(meta.get(conn, key) or "{}")
        public = PublicIdentity.from_dict(data["public"])
        if public.fingerprint_hex != data["fingerprint"]:
            raise ValueError("recovery key setting does not match its fingerprint")
        found.append(Generation(int(suffix), public, data["created_at"]))
    return sorted(found, key=lambda g: g.number)


def all_generations(store: DistrictStore) -> list[Generation]:
    """Every generation, oldest first."""
    return generations(store.conn)


def current(store: DistrictStore) -> tuple[int, PublicIdentity] | None:
    """The newest generation and its public half; None before the first."""
    known = generations(store.conn)
    if not known:
        return None
    newest = known[-1]
    return newest.number, newest.public


def new_generation(
    store: DistrictStore, keep: Callable[[int, Identity], None] | None = None
) -> tuple[int, Identity]:
    """A new recovery key: its public half stored, its private half returned.

    `keep(generation, identity)` runs inside the transaction (the command writes the
    sheet there): if it fails, no generation is recorded, so that the district never
    grants to a key whose sheet was not written.
    """
    identity = Identity.generate()
    with transaction(store.conn):
        known = generations(store.conn)
        number = known[-1].number + 1 if known else 1
        created = datetime.now(UTC).isoformat(timespec="seconds")
        record = {
            "public": identity.public.to_dict(),
            "fingerprint": identity.public.fingerprint_hex,
            "created_at": created,
        }
        meta.put(store.conn, f"{_PREFIX}{number}", json.dumps(record, sort_keys=True))
        audit.record(
            store.conn,
            "district",
            "recovery-key-new",
            "recovery-key",
            str(number),
            identity.public.fingerprint_hex,
        )
        if keep is not None:
            keep(number, identity)
    return number, identity


def fingerprints(conn: Connection) -> dict[str, str]:
    """Grantee id (``recovery-N``) -> the fingerprint of that generation's public half."""
    return {g.grantee: g.public.fingerprint_hex for g in generations(conn)}


def match_sheet(store: DistrictStore, identity: Identity) -> int:
    """The generation whose public half is this sheet's; Refused when none is."""
    fingerprint = identity.public.fingerprint_hex
    for generation in generations(store.conn):
        if generation.public.fingerprint_hex == fingerprint:
            return generation.number
    raise Refused("recovery.not_this_district")

"""What bundles carry once decrypted: a worker's request, the district's reply (JSON).

Decoding is strict (unknown fields refused) and raises BundleRejected for anything
malformed, so that a bad payload is refused whole before anything is applied.
"""

from __future__ import annotations

import json
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from fieldkit.crypto.charter import CharterAcceptance
from fieldkit.errors import BundleRejected
from fieldkit.model import Change, KnownWorker


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SyncRequest(_Payload):
    """Worker -> district: its changes above the district's acknowledgement."""

    changes: list[Change] = Field(default_factory=list)
    holding: list[str] = Field(default_factory=list)  # case ids the device holds
    resync: bool = False  # ask for every change of the assigned cases again
    digest: str = ""  # the device's state digest of `holding`, before this exchange
    decided: list[str] = Field(default_factory=list)  # refused changes whose decision it holds
    # Sealed cases (`resealed` in a reply) whose clear copy it replaced with the district's.
    retaken: list[str] = Field(default_factory=list)
    # The worker's signed acceptance of the charter it was offered (issue 17), sent in
    # each request until a reply no longer offers that text; None: none waits.
    charter_acceptance: CharterAcceptance | None = None


# The refusal reason of a change stamped too far ahead of the district's clock: the one
# refusal the district does not keep or acknowledge, because the device keeps the change
# queued and stamps it again once its clock is right (docs/protocol.md).
CLOCK_AHEAD = "clock-ahead"


class Refusal(_Payload):
    change_id: str
    reason: str


class Decision(_Payload):
    """A coordinator's decision on a refused change (`district refusals accept|dismiss`)."""

    change_id: str
    decision: str  # accepted | dismissed
    reason: str = ""
    at: str = ""


class RecoveryKey(_Payload):
    generation: int = Field(ge=1)
    keys: dict[str, str]


class CharterOffer(_Payload):
    """The district's current confidentiality charter, offered to a worker that has not
    accepted its text (issue 17); `refused` says why the acceptance this request carried
    was refused (a message key), "" when it carried none or it was kept."""

    version: str = Field(max_length=40)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    text: str = Field(max_length=64 * 1024)
    refused: str = Field(default="", max_length=64)


class SyncReply(_Payload):
    """District -> worker: acknowledgement, changes for it, cases to purge, refusals."""

    changes: list[Change] = Field(default_factory=list)
    purge: list[str] = Field(default_factory=list)
    refused: list[Refusal] = Field(default_factory=list)
    decisions: list[Decision] = Field(default_factory=list)
    district_name: str = ""
    wipe: bool = False  # the worker was revoked: hand over, then wipe case data
    # The teams of the worker's open cases and the authors on them, with their names and
    # revocation, for its screens (fieldkit/names.py); None: the district sent no list.
    workers: list[KnownWorker] | None = None
    # The district's current recovery key, which team devices grant every case key to
    # (issue 16): {"generation": N, "keys": PublicIdentity.to_dict()}; None: none sent.
    recovery: RecoveryKey | None = None
    # Cases whose team texts `district seal-team-texts` sealed, that the device still holds
    # as it had them: their whole history comes in this reply, for the device to take in
    # place of its copy once nothing of its own on them waits (issue 16); None: none.
    resealed: list[str] | None = None
    # The current charter, when this worker has not accepted its text (issue 17); None:
    # nothing to accept.
    charter: CharterOffer | None = None


class EnrolReply(_Payload):
    district_id: str
    district_name: str
    worker_id: str
    worker_name: str
    unit: str


P = TypeVar("P", bound=_Payload)


def encode(payload: _Payload) -> bytes:
    # A reply without a `workers` list leaves the member out rather than writing null:
    # what a device that predates the member reads (a wipe notice, say) stays the same.
    unset = {
        name
        for name in ("workers", "recovery", "resealed", "charter", "charter_acceptance")
        if getattr(payload, name, ()) is None
    }
    return payload.model_dump_json(exclude=unset or None).encode("utf-8")


def encode_sync_request(
    changes_json: list[str],
    holding: list[str],
    resync: bool,
    decided: list[str] | None = None,
    retaken: list[str] | None = None,
    charter_acceptance: CharterAcceptance | None = None,
) -> bytes:
    """A SyncRequest's encoding, its changes given as JSON texts (changelog.outgoing_json):
    decodes to the same request as `encode(SyncRequest(...))`, without a model per change.
    `retaken` and `charter_acceptance` are written only when there is one (a district
    before them refuses the member)."""
    more = f',"retaken":{json.dumps(retaken)}' if retaken else ""
    if charter_acceptance is not None:
        more += f',"charter_acceptance":{charter_acceptance.model_dump_json()}'
    return (
        '{"changes":['
        + ",".join(changes_json)
        + f'],"holding":{json.dumps(holding)},"resync":{json.dumps(resync)},"digest":"",'
        + f'"decided":{json.dumps(decided or [])}{more}}}'
    ).encode("utf-8")


def decode(model: type[P], data: bytes) -> P:
    try:
        return model.model_validate_json(data)
    except (ValidationError, ValueError, json.JSONDecodeError):
        raise BundleRejected("bundle.bad_payload") from None

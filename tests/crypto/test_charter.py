"""The charter acceptance's signature: it verifies with the signer's key only, and names
one exact text, one worker and one time."""

from datetime import UTC, datetime

from fieldkit.crypto.charter import accept, charter_hash, message
from fieldkit.crypto.identity import Identity

WHEN = datetime(2026, 12, 2, 9, 30, 0, tzinfo=UTC)


def test_an_acceptance_verifies_with_the_workers_key_and_no_other():
    device, other = Identity.generate(), Identity.generate()
    signed = accept(device, "v1", charter_hash("Charte\n"), "w-1", WHEN)
    assert signed.at == "2026-12-02T09:30:00Z"
    assert signed.verify(device.public)
    assert not signed.verify(other.public)


def test_changing_the_text_worker_or_time_breaks_the_signature():
    device = Identity.generate()
    signed = accept(device, "v1", charter_hash("Charte\n"), "w-1", WHEN)
    for change in (
        {"sha256": charter_hash("Charte modifiée\n")},
        {"worker_id": "w-2"},
        {"at": "2026-12-02T09:30:01Z"},
        {"signature": "not base64!"},
        {"at": "hier"},
    ):
        assert not signed.model_copy(update=change).verify(device.public), change


def test_the_signed_message_is_the_documented_bytes():
    digest = charter_hash("é")
    assert digest == "4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c"
    assert message(digest, "w-1", "2026-12-02T09:30:00Z") == (
        b"fieldkit-charter/1/" + digest.encode() + b"/w-1/2026-12-02T09:30:00Z"
    )

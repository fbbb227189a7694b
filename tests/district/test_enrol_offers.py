"""The district's identity documents for short enrolment codes (fieldkit/district/enrolment.py):
served for a pending worker only, by the lookup value, on both district backends."""

from __future__ import annotations

from pathlib import Path

import pytest

from fieldkit.district.enrolment import document_for
from fieldkit.district.store import DistrictStore
from fieldkit.errors import Refused
from fieldkit.sync.enrolment import lookup_of, open_code
from tests.conftest import PASSPHRASE
from tests.world import UNIT, use_fast_kdf


def test_the_document_is_served_only_while_the_code_is_pending(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, district_backend: str
) -> None:
    use_fast_kdf(monkeypatch)
    with DistrictStore.create(tmp_path / "d", PASSPHRASE, "District Nord", None) as district:
        issued = district.issue_worker("Léa Martin", UNIT, 24)
        assert repr(issued) == f"Issued(worker={issued.worker.id})"  # never the code
        lookup = lookup_of(issued.code)
        document = document_for(district.conn, lookup, now=issued.expires)
        assert document == issued.document
        code = open_code(issued.code, document)
        assert code.worker_id == issued.worker.id and code.expires == issued.expires
        assert code.district_identity().fingerprint == district.identity().public.fingerprint
        # Neither the secret nor the code is kept; the lookup value is not the secret.
        rows = district.conn.execute("SELECT lookup, document FROM enrol_offers").fetchall()
        assert [r[0] for r in rows] == [lookup] and code.secret not in repr(rows)

        for reason_now in (issued.expires + 1,):  # expired
            with pytest.raises(Refused):
                document_for(district.conn, lookup, now=reason_now)
        with pytest.raises(Refused):
            document_for(district.conn, "0" * 32, now=issued.expires)
        district.revoke_worker(issued.worker.id)
        with pytest.raises(Refused):
            document_for(district.conn, lookup, now=issued.expires)

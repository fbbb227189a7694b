"""A state digest over some cases, equal on two replicas that hold the same data.

It covers every case field value, the ids of follow-ups and amendments, and the
decisions and measures' states (issue 17), in a
canonical order, so that a district and a worker can see that they diverged and
ask for a full resend instead of drifting silently (DESIGN §4).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from fieldkit.replica.columns import row_key, unseal
from fieldkit.replica.db import Connection


def state_digest(conn: Connection, case_ids: Iterable[str]) -> str:
    ids = sorted(set(case_ids))
    h = hashlib.sha256(b"fieldkit-digest-v1\n")
    for case_id in ids:
        h.update(f"case {case_id}\n".encode())
        for field, value in conn.execute(
            "SELECT field, value FROM case_fields WHERE case_id = ? ORDER BY field", (case_id,)
        ):
            value = unseal(conn, "case_fields", "value", row_key(case_id, field), value)
            h.update(f"f {field} {value}\n".encode())
        for (fid,) in conn.execute(
            "SELECT id FROM followups WHERE case_id = ? ORDER BY id", (case_id,)
        ):
            h.update(f"u {fid}\n".encode())
        for (aid,) in conn.execute(
            "SELECT id FROM amendments WHERE case_id = ? ORDER BY id", (case_id,)
        ):
            h.update(f"a {aid}\n".encode())
        # The Prevention Group's decisions and the state of each measure (issue 17); a
        # case without any digests as it did before.
        for (did,) in conn.execute(
            "SELECT id FROM decisions WHERE case_id = ? ORDER BY id", (case_id,)
        ):
            h.update(f"d {did}\n".encode())
        for mid, state, change in conn.execute(
            "SELECT id, state, state_change FROM measures WHERE case_id = ? ORDER BY id",
            (case_id,),
        ):
            h.update(f"m {mid} {state} {change or ''}\n".encode())
    return h.hexdigest()

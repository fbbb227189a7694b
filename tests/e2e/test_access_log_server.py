"""`district serve --log-file` keeps its access log for the audit retention (issue 19): a
real server deletes the rotated files older than it at start-up, and says so; the
district's own retention is the default, `--log-max-age` overrides it."""

from __future__ import annotations

import os
import time

import httpx

from tests.e2e.conftest import Net
from tests.world import Fieldkit, use_fast_kdf

DAY = 86_400


def _old(path, days: float) -> None:
    path.write_text("2020-01-01 00:00:00,000 sync wk-0 200\n")
    moment = time.time() - days * DAY
    os.utime(path, (moment, moment))


def test_the_server_deletes_access_logs_older_than_the_retention(tmp_path, monkeypatch):
    use_fast_kdf(monkeypatch)
    fk = Fieldkit()
    net = Net(tmp_path, fk)
    fk.json(net.district_home, "district", "audit", "retention", "--days", "200")
    log = net.server.log
    for n, days in ((1, 30), (2, 150), (3, 250), (4, 500)):
        _old(log.with_name(f"{log.name}.{n}"), days)
    net.server.start()
    try:
        with httpx.Client(verify=False, timeout=10) as http:
            assert http.post(f"{net.server.url}/v1/sync", content=b"junk").status_code == 409
    finally:
        net.server.stop()
    kept = sorted(p.name for p in log.parent.glob(log.name + "*"))
    assert kept == [log.name, f"{log.name}.1", f"{log.name}.2"]
    assert "2 access log files older than 200 days deleted" in net.server.stderr
    assert "409" in log.read_text() or "refused" in log.read_text()


def test_log_max_age_overrides_the_retention(tmp_path, monkeypatch):
    use_fast_kdf(monkeypatch)
    net = Net(tmp_path, Fieldkit(), server_args=("--log-max-age", "20"))
    log = net.server.log
    _old(log.with_name(f"{log.name}.1"), 30)
    net.server.start()
    net.server.stop()
    assert not log.with_name(f"{log.name}.1").exists()
    assert "1 access log file older than 20 days deleted" in net.server.stderr

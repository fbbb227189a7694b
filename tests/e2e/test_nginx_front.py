"""nginx (Debian's package) in front of `district serve`, with docs/nginx-district.conf as
it is in the docs: started on loopback by the test, workers enrol and sync through it
(the certificate they pin is the district's, served by nginx), and two of the hostile
load's attacks run through it. Skipped where there is no nginx.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from benchmarks import hostile_load
from fieldkit.crypto.tls import key_password
from fieldkit.district.store import DistrictStore
from tests.e2e.conftest import Background, Net, Server, free_port, still_syncs
from tests.world import Fieldkit, credentials, use_fast_kdf

CONF = Path(__file__).resolve().parents[2] / "docs" / "nginx-district.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


class Nginx:
    def __init__(self, prefix: Path, listen: int, upstream: int, home: Path) -> None:
        prefix.mkdir()
        with DistrictStore.open(home, credentials()) as district:
            password = key_password(district.data_key).decode()
        passwords = prefix / "passwords"
        passwords.write_text(password + "\n")
        passwords.chmod(0o600)
        places = {
            "PREFIX": str(prefix),
            "LISTEN": f"127.0.0.1:{listen}",
            "UPSTREAM": str(upstream),
            "CERT": str(home / "tls-cert.pem"),
            "KEY": str(home / "tls-key.pem"),
            "PASSWORDS": str(passwords),
            "HEADER_TIMEOUT": "2s",  # the docs' 10s, shorter for the test
        }
        text = CONF.read_text(encoding="utf-8")
        for name, value in places.items():
            text = text.replace(f"@{name}@", value)
        if os.geteuid() == 0:  # its workers would run as nobody, unable to read the prefix
            text = "user root;\n" + text
        self.conf = prefix / "nginx.conf"
        self.conf.write_text(text)
        self.prefix, self.listen = prefix, listen
        self.proc = subprocess.Popen(
            [NGINX, "-p", str(prefix), "-c", str(self.conf), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                url = f"https://127.0.0.1:{listen}/v1/health"
                if httpx.get(url, verify=False, timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("nginx did not start: " + self.error_log())
            time.sleep(0.1)

    def error_log(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self.proc.stderr is not None:
            self.proc.stderr.close()


@pytest.fixture
def fronted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Net, Nginx]]:
    if not os.path.exists(NGINX):
        pytest.skip("nginx is not installed (Debian: apt-get install nginx-light)")
    use_fast_kdf(monkeypatch)
    net = Net(tmp_path, Fieldkit())  # its codes carry nginx's address: the TLS port
    listen, upstream = net.server.port, free_port()
    args = ("--max-per-address", "4096", "--enrol-per-minute", "100000")
    net.server = Server(net.district_home, upstream, tls=False, args=args)
    net.server.start()
    nginx = Nginx(tmp_path / "nginx", listen, upstream, net.district_home)
    try:
        net.enrol("a")
        yield net, nginx
    finally:
        nginx.stop()
        net.server.stop()


def test_workers_enrol_and_sync_through_nginx_with_the_pinned_certificate(fronted):
    net, _ = fronted
    net.enrol("b")
    reference = net.new_case("Amélie Durand", "a", "b")
    net.sync("a")
    still_syncs(net, reference, 1)
    assert net.sync("b")["received"] >= 1
    log = net.server.log.read_text(encoding="utf-8")
    assert f"worker={net.worker_ids['a']} status=200" in log


def test_headers_dripped_through_nginx_are_cut_and_the_worker_syncs(fronted):
    net, nginx = fronted
    reference = net.new_case("Amélie Durand", "a")
    net.sync("a")
    attack = Background(
        hostile_load.drip,
        nginx.listen,
        40,
        ("127.0.0.2", "127.0.0.3"),
        6.0,
        tls=True,
        head=b"",
        trickle=b"POST /v1/sync HTTP/1.1\r\nHost: district\r\n",
        interval=0.5,
    )
    time.sleep(1.0)
    still_syncs(net, reference, 1)
    done = attack.join()
    assert done["closed_by_server"] == done["established"] == 40


def test_an_unknown_senders_upload_through_nginx_is_refused_before_its_body(fronted):
    net, nginx = fronted
    reference = net.new_case("Amélie Durand", "a")
    net.sync("a")
    size = 24 * 1024 * 1024
    attack = Background(hostile_load.big, nginx.listen, 4, ("127.0.0.2",), 20.0, size, 1)
    still_syncs(net, reference, 1)
    done = attack.join()
    # district serve refuses from the head; nginx passes the 403 on, or says 502 when
    # it was still streaming the body, and reads the rest to discard it (no memory).
    assert set(done["answers"]) <= {"403", "502", "closed"}, done
    log = net.server.log.read_text(encoding="utf-8")
    assert "worker=? status=403 reason=sync.unknown_worker" in log
    assert not list((nginx.prefix / "client_body").glob("*"))  # nothing spooled to disk

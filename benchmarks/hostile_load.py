"""Hostile load: one legitimate worker syncs in a loop while the server is attacked (issue 15).

One `fieldkit district serve` subprocess with its self-signed TLS certificate, its
default limits, on 127.0.0.1. One enrolled worker (a real store, the real client:
`worker_side.sync_online`, TLS pinned) records a follow-up and syncs, again and
again, from 127.0.0.1. First a quiet baseline, then each attack in turn, from other
loopback addresses (127.0.0.2 and up), in child processes (so that their work does
not share this process's interpreter lock with the worker):

- idle:    20,000 idle TCP connections, held;
- headers: 2,000 TLS connections dripping their request headers, a byte every 2 s;
- bodies:  200 connections dripping their bodies, a byte every 2 s;
- big:     16 concurrent 63 MiB bodies from an unknown sender, each sent again once
           refused (20 times at most);
- enrol:   2,000 enrolment guesses (a real pending worker's id, a wrong secret), 64 at
           a time.

For each it reports the worker's sync success rate and p50 / p95 latency against the
quiet baseline, the server's peak RSS (sampled every 50 ms), what its log grew by, and
its RSS once the attack is over against the baseline's. Targets: 100% of syncs, p95
within 3x the baseline, peak RSS under 512 MiB, log under 1 MiB per attack, RSS back
within 20% of the baseline.

Bounded: loopback addresses only (127.0.0.0/8), every count and every phase has its
bound (ATTACK_SECONDS), every socket a timeout; the run stops by itself.

    python -m benchmarks.hostile_load [--scale F] [--seconds S] [--only idle,headers,...]

--scale (or FIELDKIT_HOSTILE_SCALE) multiplies every count (0.1 for a quick trial);
--seconds shortens each attack (40 s by default).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import resource
import socket
import ssl
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

PASSPHRASE = "benchmark passphrase only"
FAST_KDF = {"algorithm": "argon2id", "memory_kib": 8192, "iterations": 1, "lanes": 1}
HOST = "127.0.0.1"
ATTACKERS = ("127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5")
BASELINE_SECONDS = 15.0
ATTACK_SECONDS = 40.0
SETTLE_SECONDS = 8.0  # after an attack, before "memory after" is read
SYNC_PAUSE = 0.25  # between two syncs of the worker
MIB = 1024 * 1024

# The full counts; --scale multiplies them.
COUNTS = {"idle": 20_000, "headers": 2_000, "bodies": 200, "big": 16, "enrol": 2_000}
BIG_BYTES = 63 * MIB
BIG_ROUNDS = 20  # uploads per thread at most, one after the other
ENROL_THREADS = 64  # guessers at once (16 connections from each attacking address)

TARGET_P95 = 3.0
TARGET_RSS_MIB = 512
TARGET_LOG_BYTES = MIB
TARGET_RECOVERY = 0.20


def raise_file_limit() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _check_loopback(*addresses: str) -> None:
    for address in addresses:
        if not address.startswith("127."):
            raise SystemExit(f"loopback addresses only, not {address}")


def client_tls() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _connect(port: int, source: str, tls: bool, timeout: float = 3.0) -> socket.socket:
    sock = socket.socket()
    sock.settimeout(timeout)
    try:
        sock.bind((source, 0))
        sock.connect((HOST, port))
        if tls:
            sock = client_tls().wrap_socket(sock)
    except BaseException:
        sock.close()
        raise
    return sock


def _gone(sock: socket.socket) -> bool:
    """Whether the server closed or reset the connection (what it sent is read and dropped)."""
    try:
        sock.setblocking(False)
        data = sock.recv(65536)
        return data == b""
    except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
        return False
    except OSError:
        return True


# The attacks. Each runs until its deadline (or its work is done) and returns its counts.


def idle(port: int, count: int, sources: tuple[str, ...], seconds: float) -> dict:
    """`count` TCP connections opened and held idle; how many the server closed."""
    _check_loopback(*sources)
    raise_file_limit()
    deadline = time.monotonic() + seconds
    held: list[socket.socket] = []
    failed = 0
    for n in range(count):
        if time.monotonic() > deadline:
            break
        sock = socket.socket()
        sock.setblocking(False)
        try:
            sock.bind((sources[n % len(sources)], 0))
            sock.connect_ex((HOST, port))
        except OSError:
            sock.close()
            failed += 1
            continue
        held.append(sock)
    while time.monotonic() < deadline:
        time.sleep(0.5)
    closed = sum(_gone(sock) for sock in held)
    for sock in held:
        sock.close()
    return {"opened": len(held), "failed": failed, "closed_by_server": closed}


def drip(
    port: int,
    count: int,
    sources: tuple[str, ...],
    seconds: float,
    *,
    tls: bool,
    head: bytes,
    trickle: bytes,
    interval: float = 2.0,
) -> dict:
    """`count` connections (TLS if asked) that send `head` at once, then `trickle` a byte
    every `interval` seconds; how many were refused, and how many the server closed."""
    _check_loopback(*sources)
    raise_file_limit()
    deadline = time.monotonic() + seconds
    live: list[socket.socket] = []
    refused = 0
    for n in range(count):
        if time.monotonic() > deadline:
            break
        try:
            sock = _connect(port, sources[n % len(sources)], tls)
            if head:
                sock.sendall(head)
            sock.setblocking(False)
        except OSError:
            refused += 1
            continue
        live.append(sock)
    established, closed, position = len(live), 0, 0
    while live and time.monotonic() < deadline:
        byte = trickle[position % len(trickle) : position % len(trickle) + 1]
        position += 1
        still = []
        for sock in live:
            if _gone(sock):
                closed += 1
                sock.close()
                continue
            try:
                sock.send(byte)
                still.append(sock)
            except (BlockingIOError, ssl.SSLWantWriteError, ssl.SSLWantReadError):
                still.append(sock)
            except OSError:
                closed += 1
                sock.close()
        live = still
        time.sleep(min(interval, max(deadline - time.monotonic(), 0)))
    for sock in live:
        sock.close()
    return {"established": established, "refused": refused, "closed_by_server": closed}


def bundle_head(total: int, sender: str = "w-not-enrolled") -> bytes:
    """The first bytes of a sync bundle from `sender` that declares `total` bytes in all."""
    from fieldkit.crypto.identity import SIGNATURE_BYTES
    from fieldkit.sync.bundle import BUNDLE_MAGIC, BUNDLE_VERSION, BundleHeader

    header = BundleHeader(
        kind="sync",
        sender=sender,
        recipient="d-somewhere",
        sender_key="0" * 64,
        recipient_key="0" * 64,
        counter=1,
    ).to_bytes()
    start = struct.pack(">8sBI", BUNDLE_MAGIC, BUNDLE_VERSION, len(header)) + header
    ct_len = total - len(start) - 4 - SIGNATURE_BYTES
    return start + struct.pack(">I", ct_len)


def big(
    port: int,
    count: int,
    sources: tuple[str, ...],
    seconds: float,
    size: int,
    rounds: int = BIG_ROUNDS,
) -> dict:
    """`count` uploads at once of `size` bytes from an unknown sender, each sent again
    once refused, until the deadline; the answers."""
    _check_loopback(*sources)
    deadline = time.monotonic() + seconds
    statuses: list[str] = []
    sent_mib: list[float] = []
    chunk = os.urandom(MIB)

    def one(n: int) -> None:
        # Each upload again as soon as it is refused, until the deadline (20 at most).
        for _ in range(rounds):
            if time.monotonic() > deadline:
                return
            upload(n)

    def upload(n: int) -> None:
        sent = 0
        try:
            sock = _connect(port, sources[n % len(sources)], True, timeout=10)
        except OSError:
            statuses.append("refused")
            return
        with sock:
            head = bundle_head(size)
            request = (
                f"POST /v1/sync HTTP/1.1\r\nHost: district\r\nContent-Length: {size}\r\n"
                "Content-Type: application/vnd.fieldkit.bundle\r\n\r\n"
            ).encode()
            try:
                sock.sendall(request + head)
                sent = len(head)
                while sent < size and time.monotonic() < deadline:
                    piece = chunk[: min(MIB, size - sent)]
                    sock.sendall(piece)
                    sent += len(piece)
                answer = sock.recv(4096)
                statuses.append(answer.split(b" ", 2)[1].decode() if answer else "closed")
            except OSError:
                statuses.append("closed")
        sent_mib.append(sent / MIB)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(deadline - time.monotonic(), 0) + 15)
    counts: dict[str, int] = {}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    return {
        "answers": counts,
        "mib_sent_max": round(max(sent_mib, default=0.0), 1),
        "mib_sent_total": round(sum(sent_mib), 1),
    }


def enrol(
    port: int,
    count: int,
    sources: tuple[str, ...],
    seconds: float,
    requests: list[bytes],
    threads: int = ENROL_THREADS,
) -> dict:
    """`count` enrolment requests (each a guess), `threads` at a time, until the
    deadline; the statuses answered."""
    import httpx

    _check_loopback(*sources)
    deadline = time.monotonic() + seconds
    statuses: dict[str, int] = {}
    lock = threading.Lock()
    turns = iter(range(count))

    def worker(source: str) -> None:
        transport = httpx.HTTPTransport(local_address=source, verify=False, retries=0)
        with httpx.Client(transport=transport, timeout=10) as http:
            for n in turns:
                if time.monotonic() > deadline:
                    return
                try:
                    answer = http.post(
                        f"https://{HOST}:{port}/v1/enrol", content=requests[n % len(requests)]
                    )
                    status = str(answer.status_code)
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                with lock:
                    statuses[status] = statuses.get(status, 0) + 1

    guessers = [
        threading.Thread(target=worker, args=(sources[n % len(sources)],)) for n in range(threads)
    ]
    for thread in guessers:
        thread.start()
    for thread in guessers:
        thread.join(timeout=max(deadline - time.monotonic(), 0) + 15)
    return {"answers": statuses}


ATTACK_FUNCTIONS = {"idle": idle, "drip": drip, "big": big, "enrol": enrol}


def _child(name: str, args: tuple, kwargs: dict, queue) -> None:
    queue.put(ATTACK_FUNCTIONS[name](*args, **kwargs))


def in_children(name: str, parts: int, args_for, seconds: float) -> multiprocessing.Process:
    """Run attack `name` in `parts` child processes; returns a joiner of their results."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    children = []
    for part in range(parts):
        args, kwargs = args_for(part)
        child = context.Process(target=_child, args=(name, args, kwargs, queue), daemon=True)
        child.start()
        children.append(child)

    def join() -> list[dict]:
        results = []
        for _ in children:
            try:
                results.append(queue.get(timeout=seconds + 60))
            except Exception:
                results.append({"error": "no result"})
        for child in children:
            child.join(timeout=10)
            if child.is_alive():
                child.kill()
        return results

    return join


# The server and the legitimate worker


def build(root: Path, port: int) -> tuple[Path, Path, str]:
    """A district with TLS, one enrolled worker with a case, one pending worker (whose
    id the enrolment guesses name). Returns the district home, the worker's home and
    the pending worker's code."""
    from fieldkit.crypto import keyfile
    from fieldkit.district import tls
    from fieldkit.district.exchange import handle
    from fieldkit.district.store import DistrictStore
    from fieldkit.store.worker import WorkerStore
    from fieldkit.sync import worker_side
    from fieldkit.sync.enrolment import decode_code

    keyfile.KDF_PARAMS = dict(FAST_KDF)
    district_home, worker_home = root / "district", root / "worker"
    url = f"https://{HOST}:{port}"
    with DistrictStore.create(district_home, PASSPHRASE, "District attaqué", url) as district:
        fingerprint = tls.make_self_signed(
            district_home, "District attaqué", ["127.0.0.1", "localhost"], district.data_key
        )
        district.set_setting("tls_fingerprint", fingerprint)
        added, code = district.add_worker("Agent légitime", "UT Nord")
        case = district.add_case(name="Personne suivie", unit="UT Nord", reason="Charge")
        district.assign(case.id, added.id, lead=True)
        _, pending_code = district.add_worker("Agent en attente", "UT Nord")
        with WorkerStore.create(worker_home, PASSPHRASE) as worker:
            request = worker_side.enrol_request(worker, decode_code(code))
            worker_side.enrol_complete(worker, handle(district, request).reply)
    return district_home, worker_home, pending_code


def guesses(pending_code: str, count: int, document: bytes | None = None) -> list[bytes]:
    """Enrolment requests naming the pending worker, each with a wrong secret; a short
    code comes with the district identity document it commits to."""
    from fieldkit.crypto.identity import Identity
    from fieldkit.sync.enrolment import build_request, decode_code, open_code

    code = decode_code(pending_code) if document is None else open_code(pending_code, document)
    identity = Identity.generate()
    made = []
    for n in range(max(1, min(count, 200))):
        guessed = code.model_copy(update={"secret": os.urandom(16).hex()})
        made.append(build_request(guessed, identity, f"r-guess-{n}"))
    return made


class Server:
    def __init__(self, district_home: Path, port: int, log: Path, args: tuple[str, ...] = ()):
        command = [sys.executable, "-m", "fieldkit", "--home", str(district_home), "district"]
        command += ["serve", "--port", str(port), "--log-file", str(log), *args]
        env = dict(os.environ, FIELDKIT_PASSPHRASE=PASSPHRASE)
        self.log = log
        self.proc = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        self.port = port
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise SystemExit("server exited: " + self.proc.stderr.read().decode()[-2000:])
            try:
                with _connect(port, HOST, True, timeout=1) as sock:
                    sock.sendall(b"GET /v1/health HTTP/1.1\r\nHost: d\r\nConnection: close\r\n\r\n")
                    if b" 200 " in sock.recv(4096):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise SystemExit("server did not start")
            time.sleep(0.2)

    def rss_mib(self) -> float:
        return _status_kib(self.proc.pid, "VmRSS") / 1024

    def hwm_mib(self) -> float:
        return _status_kib(self.proc.pid, "VmHWM") / 1024

    def log_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.log.parent.glob(self.log.name + "*"))

    def stop(self) -> str:
        self.proc.terminate()
        try:
            _, err = self.proc.communicate(timeout=40)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate(timeout=10)
        return err.decode(errors="replace")


def _status_kib(pid: int, key: str) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return float(line.split()[1])
    except OSError:
        pass
    return 0.0


class Sampler:
    """The server's RSS every 50 ms, between start() and stop()."""

    def __init__(self, server: Server) -> None:
        self.server, self.peak, self.running = server, 0.0, False
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.peak, self.running = self.server.rss_mib(), True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while self.running:
            self.peak = max(self.peak, self.server.rss_mib())
            time.sleep(0.05)

    def stop(self) -> float:
        self.running = False
        if self.thread is not None:
            self.thread.join(timeout=5)
        return self.peak


@dataclass
class Syncs:
    """The legitimate worker's syncs: latencies of the successes, failures by type."""

    latencies: list[float] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.latencies) + sum(self.failures.values())

    def p(self, q: int) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else 0.0
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[q - 1]


class Worker:
    """One enrolled worker recording and syncing in a loop, in its own thread (which
    opens the store: a store connection stays in the thread that opened it)."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.current = Syncs()
        self.running = False
        self.ready = threading.Event()
        self.thread: threading.Thread | None = None
        self.reference = ""
        self.error: BaseException | None = None

    def once(self, store) -> None:
        from fieldkit.enums import FollowUpKind
        from fieldkit.sync import worker_side

        today = date.today()
        store.add_followup(
            self.reference,
            kind=FollowUpKind("phone-call"),
            summary="Appel de suivi",
            occurred_on=today,
            today=today,
        )
        started = time.perf_counter()
        try:
            worker_side.sync_online(store, timeout=30)
        except Exception as exc:  # counted: the success rate is the figure
            name = getattr(exc, "key", None) or type(exc).__name__
            self.current.failures[name] = self.current.failures.get(name, 0) + 1
            return
        self.current.latencies.append(time.perf_counter() - started)

    def start(self) -> None:
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        if not self.ready.wait(timeout=120) or self.error is not None:
            raise SystemExit(f"the worker could not sync: {self.error!r}")

    def _run(self) -> None:
        from fieldkit.store.access import Credentials
        from fieldkit.store.worker import WorkerStore
        from fieldkit.sync import worker_side

        os.environ["FIELDKIT_PASSPHRASE"] = PASSPHRASE
        try:
            store = WorkerStore.open(self.home, Credentials())
            worker_side.sync_online(store, timeout=30)  # the case arrives
            self.reference = store.list_cases()[0].reference
        except BaseException as exc:
            self.error = exc
            self.ready.set()
            return
        self.ready.set()
        try:
            while self.running:
                self.once(store)
                time.sleep(SYNC_PAUSE)
        finally:
            store.close()

    def measure(self) -> Syncs:
        """What was measured since the last call."""
        done, self.current = self.current, Syncs()
        return done

    def stop(self) -> None:
        self.running = False
        if self.thread is not None:
            self.thread.join(timeout=60)


def attack_plan(port: int, scale: float, pending_code: str) -> dict:
    """Each attack: (child function name, number of child processes, args for a part)."""
    n = {name: max(1, int(count * scale)) for name, count in COUNTS.items()}
    seconds = ATTACK_SECONDS
    headers_head = b""
    headers_trickle = b"POST /v1/sync HTTP/1.1\r\nHost: district\r\nContent-Length: 1000\r\n"
    body_head = (
        b"POST /v1/sync HTTP/1.1\r\nHost: district\r\nContent-Length: 10485760\r\n"
        b"Content-Type: application/vnd.fieldkit.bundle\r\n\r\n"
    )
    requests = guesses(pending_code, n["enrol"])
    big_size = BIG_BYTES if scale >= 1 else max(int(BIG_BYTES * scale), 4 * MIB)

    def split(total: int, parts: int, part: int) -> int:
        return total // parts + (1 if part < total % parts else 0)

    return {
        "idle": (
            "idle",
            4,
            lambda part: ((port, split(n["idle"], 4, part), (ATTACKERS[part],), seconds), {}),
        ),
        "headers": (
            "drip",
            2,
            lambda part: (
                (port, split(n["headers"], 2, part), ATTACKERS[part * 2 : part * 2 + 2], seconds),
                {"tls": True, "head": headers_head, "trickle": headers_trickle},
            ),
        ),
        "bodies": (
            "drip",
            1,
            lambda part: (
                (port, n["bodies"], ATTACKERS, seconds),
                {"tls": True, "head": body_head, "trickle": bundle_head(10485760)},
            ),
        ),
        "big": ("big", 1, lambda part: ((port, n["big"], ATTACKERS, seconds, big_size), {})),
        "enrol": ("enrol", 1, lambda part: ((port, n["enrol"], ATTACKERS, seconds, requests), {})),
    }


def run(scale: float = 1.0, only: list[str] | None = None) -> dict:
    raise_file_limit()
    _check_loopback(HOST, *ATTACKERS)
    figures: dict = {"scale": scale, "attacks": {}}
    with tempfile.TemporaryDirectory(prefix="fieldkit-hostile-") as tmp:
        root = Path(tmp)
        with socket.socket() as probe:
            probe.bind((HOST, 0))
            port = probe.getsockname()[1]
        district_home, worker_home, pending_code = build(root, port)
        server = Server(district_home, port, root / "server.log")
        worker = Worker(worker_home)
        try:
            worker.start()
            sampler = Sampler(server)
            sampler.start()
            time.sleep(BASELINE_SECONDS)
            quiet = worker.measure()
            baseline_rss = server.rss_mib()
            figures["baseline"] = {
                "syncs": quiet.total,
                "ok": len(quiet.latencies),
                "p50_ms": quiet.p(50) * 1000,
                "p95_ms": quiet.p(95) * 1000,
                "rss_mib": baseline_rss,
                "peak_rss_mib": sampler.stop(),
            }
            print(
                f"quiet baseline: {quiet.total} syncs, p50 {quiet.p(50) * 1000:.0f} ms,"
                f" p95 {quiet.p(95) * 1000:.0f} ms, server RSS {baseline_rss:.0f} MiB",
                flush=True,
            )
            plan = attack_plan(port, scale, pending_code)
            for name, (function, parts, args_for) in plan.items():
                if only and name not in only:
                    continue
                log_before = server.log_bytes()
                sampler.start()
                join = in_children(function, parts, args_for, ATTACK_SECONDS)
                results = join()
                peak = sampler.stop()
                during = worker.measure()
                time.sleep(SETTLE_SECONDS)
                worker.measure()  # syncs while settling are not counted
                after = server.rss_mib()
                row = {
                    "syncs": during.total,
                    "ok": len(during.latencies),
                    "failures": during.failures,
                    "p50_ms": during.p(50) * 1000,
                    "p95_ms": during.p(95) * 1000,
                    "peak_rss_mib": peak,
                    "rss_after_mib": after,
                    "log_bytes": server.log_bytes() - log_before,
                    "attack": results,
                }
                figures["attacks"][name] = row
                report_row(name, row, figures["baseline"])
        finally:
            worker.stop()
            stderr = server.stop()
        figures["tracebacks"] = stderr.count("Traceback") + _log_text(root).count("Traceback")
        figures["log_total_bytes"] = sum(p.stat().st_size for p in root.glob("server.log*"))
        figures["summary_lines"] = [
            line.split(" ", 2)[2]
            for line in _log_text(root).splitlines()
            if " connections closed: " in line or "event loop" in line
        ][:20]
    print(f"tracebacks in the server's output and log: {figures['tracebacks']}")
    for line in figures["summary_lines"]:
        print("  log:", line)
    return figures


def _log_text(root: Path) -> str:
    return "".join(
        p.read_text(encoding="utf-8", errors="replace") for p in sorted(root.glob("server.log*"))
    )


def verdicts(row: dict, baseline: dict) -> dict[str, bool]:
    p95 = baseline["p95_ms"] or 1.0
    return {
        "syncs": row["syncs"] > 0 and row["ok"] == row["syncs"],
        "p95": row["p95_ms"] <= TARGET_P95 * p95,
        "rss": row["peak_rss_mib"] < TARGET_RSS_MIB,
        "log": row["log_bytes"] < TARGET_LOG_BYTES,
        "recovery": row["rss_after_mib"] <= baseline["rss_mib"] * (1 + TARGET_RECOVERY),
    }


def report_row(name: str, row: dict, baseline: dict) -> None:
    ok = verdicts(row, baseline)
    marks = " ".join(f"{k}:{'ok' if v else 'NO'}" for k, v in ok.items())
    print(
        f"{name:8} syncs {row['ok']}/{row['syncs']}"
        f" p50 {row['p50_ms']:.0f} ms p95 {row['p95_ms']:.0f} ms"
        f" ({row['p95_ms'] / (baseline['p95_ms'] or 1):.1f}x);"
        f" peak RSS {row['peak_rss_mib']:.0f} MiB, after {row['rss_after_mib']:.0f} MiB"
        f" (baseline {baseline['rss_mib']:.0f}); log +{row['log_bytes'] / 1024:.1f} KiB"
        f" [{marks}]",
        flush=True,
    )
    print(f"         attack: {row['attack']}", flush=True)
    if row["failures"]:
        print(f"         failed syncs: {row['failures']}", flush=True)


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    scale = float(os.environ.get("FIELDKIT_HOSTILE_SCALE", "1"))
    only = None
    if "--scale" in args:
        scale = float(args[args.index("--scale") + 1])
    if "--only" in args:
        only = args[args.index("--only") + 1].split(",")
    if "--seconds" in args:  # shorter phases, for a trial
        global ATTACK_SECONDS, BASELINE_SECONDS
        ATTACK_SECONDS = float(args[args.index("--seconds") + 1])
        BASELINE_SECONDS = min(BASELINE_SECONDS, ATTACK_SECONDS)
    figures = run(scale, only)
    failed = [
        name
        for name, row in figures["attacks"].items()
        if not all(verdicts(row, figures["baseline"]).values())
    ]
    if failed or figures["tracebacks"]:
        raise SystemExit(f"targets missed: {', '.join(failed) or 'tracebacks'}")


if __name__ == "__main__":
    main()

"""The interactive working session against taskwarrior (issue 18's benchmark targets).

Inside one session (`fieldkit --home H` at a 40x160 pseudo-terminal driven from here,
the terminal's answers to prompt_toolkit's cursor-position requests given as a real
terminal gives them), each command is timed from its Enter to the next prompt drawn
with its status line (the status line's refresh is part of the time). Baselines,
measured in the same run: taskwarrior's one-shot `task add` with the same text, and
`task list` on 300 tasks, each run as a subprocess with its own TASKRC and TASKDATA in
a temporary folder. Targets: `followup add` (all options) <= 2x `task add`; `case list`
on 300 cases <= 2x `task list`; `agenda` <= 3x `task list`.

Reported beside: the same commands one-shot at the same terminal (spawn to exit, with
an unlocked shell session), the opening of the session (spawn, passphrase typed at the
prompt, default Argon2id, to the first prompt) and the session's resident memory
after 10 and after 1,000 commands (target: within 20%).

taskwarrior (Debian's `taskwarrior`) is installed by `make bench` when it is missing
and the machine allows; without it the taskwarrior rows say "not measured".

    python -m benchmarks.session [--runs N] [--commands N] [--profile FILE]

--profile FILE runs the session under cProfile (a wrapper started by this harness,
nothing in the product) and writes its statistics, sorted by cumulative time, to FILE,
and the raw statistics to FILE.pstats.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import cli_latency

RUNS = 30
ONE_SHOT_RUNS = 7
OPENINGS = 5
COMMANDS = 1_000
ROWS, COLUMNS = 40, 160
TIMEOUT = 60.0
PASSPHRASE = cli_latency.PASSPHRASE
SUMMARY = "Entretien de suivi avec la personne et sa famille"
TARGETS = {"followup add": 2.0, "case list": 2.0, "agenda": 3.0}

PASTE_START, PASTE_END = "\x1b[200~", "\x1b[201~"
CPR_REQUEST = b"\x1b[6n"
# What moves the cursor's row: CSI sequences (cursor moves, the position request) and
# line feeds; other escapes are skipped whole.
CONTROL = re.compile(rb"\x1b\[([0-?]*)[ -/]*([@-~])|\x1b[@-Z\\-_]|\n")
# The status line: prompt_toolkit draws the bottom toolbar in reverse video, with the
# prompt (fieldkit/commands/session.py _StatusOutput); "to sync" is in every status line.
PROMPT = re.compile(rb"fieldkit(?: [A-Z]{2}-\d{4}-\d{4})?>")
STATUS_LINE = re.compile(rb"\x1b\[0;7m [^\r\n]*to sync")

# cProfile around the CLI's entry point, for --profile only: the product has no hook.
PROFILED = """
import cProfile, pstats, sys
out = sys.argv[1]
sys.argv = ["fieldkit", *sys.argv[2:]]
from fieldkit.cli import main
profile = cProfile.Profile()
try:
    profile.runcall(main)
except SystemExit:
    pass
finally:
    profile.dump_stats(out + ".pstats")  # the whole of it, for pstats or snakeviz
    with open(out, "w") as f:
        pstats.Stats(profile, stream=f).sort_stats("cumulative").print_stats(80)
"""


class Terminal:
    """A program in a pseudo-terminal of ROWS x COLUMNS, read as bytes, answering the
    cursor-position requests as a terminal does: with the row the cursor is on, which
    this follows through the output (line feeds scroll at the bottom; cursor moves).
    prompt_toolkit sizes its drawing from that answer: a prompt at the bottom of the
    screen, where it is after a command's output, draws a few rows, not the screen."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        import pexpect

        self._timeout = pexpect.TIMEOUT
        self._eof = pexpect.EOF
        self.child = pexpect.spawn(argv[0], argv[1:], env=env, dimensions=(ROWS, COLUMNS))
        # pexpect sleeps 50 ms before each send by default: that would be timed too.
        self.child.delaybeforesend = None
        self.buf = bytearray()
        self.row = 1
        self._seen = 0  # how far the output was followed

    @property
    def pid(self) -> int:
        return self.child.pid

    def forget(self) -> None:
        """Drop the output kept so far (the cursor's row is kept)."""
        del self.buf[:]
        self._seen = 0

    def _read(self, timeout: float) -> bool:
        """Read what is there (waiting up to `timeout`); False at the end of the program."""
        try:
            data = self.child.read_nonblocking(1 << 20, timeout=timeout)
        except self._timeout:
            return True
        except self._eof:
            return False
        self.buf += data
        self._follow()
        return True

    def _follow(self) -> None:
        view = bytes(self.buf[self._seen :])
        done = 0
        for match in CONTROL.finditer(view):
            done = match.end()
            if match.group(0) == b"\n":
                self.row = min(ROWS, self.row + 1)
                continue
            final = match.group(2)
            if final is None:
                continue
            params = match.group(1)
            if params.startswith(b"?"):
                continue
            first = params.split(b";")[0]
            n = int(first) if first.isdigit() else 1
            if final == b"n" and params == b"6":
                self.child.send(f"\x1b[{self.row};1R".encode())
            elif final in (b"A", b"F"):
                self.row = max(1, self.row - n)
            elif final in (b"B", b"E"):
                self.row = min(ROWS, self.row + n)
            elif final in (b"H", b"f", b"d"):
                self.row = min(ROWS, max(1, n))
        # an escape sequence cut between two reads is read again with its end
        cut = view.rfind(b"\x1b", done)
        self._seen += cut if cut >= 0 else len(view)

    def wait_for(self, what: bytes | re.Pattern[bytes], start: int = 0) -> int:
        """Wait until `what` is in the output after `start`; where it ends."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            if isinstance(what, bytes):
                found = self.buf.find(what, start)
                end = found + len(what)
            else:
                match = what.search(self.buf, start)
                found, end = (match.start(), match.end()) if match else (-1, -1)
            if found >= 0:
                return end
            if time.monotonic() > deadline or not self._read(0.5):
                tail = bytes(self.buf[-800:])
                raise RuntimeError(f"the session did not show {what!r}; last output: {tail!r}")

    def wait_prompt(self, start: int) -> int:
        """The next prompt after `start`: its text ("fieldkit> ", "fieldkit CASE> "),
        then the status line drawn with it."""
        drawn = self.wait_for(PROMPT, start)
        return self.wait_for(STATUS_LINE, drawn)

    def settle(self, quiet: float = 0.05) -> None:
        """Read until the program has been silent for `quiet` seconds."""
        while True:
            before = len(self.buf)
            if not self._read(quiet) or len(self.buf) == before:
                return

    def send(self, data: str | bytes) -> None:
        self.child.send(data)

    def finish(self) -> None:
        """Ctrl-D, then the end of the program."""
        self.child.sendcontrol("d")
        while self._read(1.0):
            pass
        self.child.close()


def _env(home_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FIELDKIT_")}
    env.update(
        FIELDKIT_LANG="en",
        HOME=str(home_dir),
        LANG="C.UTF-8",
        TERM="xterm-256color",
        NO_COLOR="1",
        COLUMNS=str(COLUMNS),
        LINES=str(ROWS),
        PYDANTIC_DISABLE_PLUGINS="1",
    )
    env.update(extra)
    return env


def open_session(home: Path, env: dict[str, str], profile: Path | None = None) -> Terminal:
    """`fieldkit --home HOME` at the terminal, the passphrase typed; at its first prompt."""
    if profile is None:
        argv = [sys.executable, "-m", "fieldkit", "--home", str(home)]
    else:
        argv = [sys.executable, "-c", PROFILED, str(profile), "--home", str(home)]
    term = Terminal(argv, env)
    term.wait_for(b"Passphrase: ")
    term.send(PASSPHRASE + "\r")
    term.wait_prompt(len(term.buf))
    term.settle()
    return term


def timed(term: Terminal, line: str) -> tuple[float, bytes]:
    """One command typed, then Enter: seconds from Enter to the next prompt drawn, and
    what the command printed."""
    start = len(term.buf)
    # Pasted (bracketed paste, as a terminal sends a paste): prompt_toolkit inserts the
    # line at once. Typed key by key, it would still be inserting keys and offering
    # completions after the Enter, and that typing is not the command's time.
    term.send(PASTE_START + line + PASTE_END)
    term.wait_for(line[-6:].encode(), start)
    term.settle()
    mark = len(term.buf)
    started = time.perf_counter()
    term.send("\r")
    end = term.wait_prompt(mark)
    elapsed = time.perf_counter() - started
    return elapsed, bytes(term.buf[mark:end])


def cpu_seconds(pid: int) -> float:
    """User + system time of the process so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _check(line: str, output: bytes) -> None:
    text = output.decode("utf-8", "replace")
    if "fieldkit: " in text or "Traceback" in text:
        clean = re.sub(r"\x1b\[[0-?]*[ -/]*[@-~]", "", text)
        raise RuntimeError(f"{line!r} failed in the session: {clean[-600:]}")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def followup_add(case: str) -> str:
    return (
        f"followup add {case} --kind interview --summary '{SUMMARY}' --date today --attendance kept"
    )


def session_commands(
    runs: int, home: Path, env: dict[str, str]
) -> tuple[dict[str, float], dict[str, float]]:
    """Median time of each measured command inside one session, in turn, and the mean
    CPU time the session process spent on it (clock ticks are 10 ms: a mean of many)."""
    term = open_session(home, env)
    lines = {
        "followup add": followup_add("CO-2026-0001"),
        "case list": "case list",
        "agenda": "agenda",
    }
    times: dict[str, list[float]] = {name: [] for name in lines}
    cpu = dict.fromkeys(lines, 0.0)
    try:
        for line in lines.values():  # one unmeasured run each: loads its group
            _check(line, timed(term, line)[1])
        for _ in range(runs):
            for name, line in lines.items():
                before = cpu_seconds(term.pid)
                elapsed, output = timed(term, line)
                cpu[name] += cpu_seconds(term.pid) - before  # the pasting's share too
                _check(line, output)
                times[name].append(elapsed)
    finally:
        term.finish()
    medians = {name: statistics.median(values) for name, values in times.items()}
    return medians, {name: total / runs for name, total in cpu.items()}


def one_shot(runs: int, home: Path, env: dict[str, str]) -> dict[str, float]:
    """The same commands one by one at the same terminal (an unlocked shell session):
    from spawning `fieldkit ... COMMAND` to its exit."""
    import shlex

    lines = {
        "followup add": followup_add("CO-2026-0002"),
        "case list": "case list",
        "agenda": "agenda",
    }
    times: dict[str, list[float]] = {name: [] for name in lines}
    for _ in range(runs):
        for name, line in lines.items():
            argv = [sys.executable, "-m", "fieldkit", "--home", str(home), *shlex.split(line)]
            elapsed, code = _at_terminal(argv, env)
            if code != 0:
                raise RuntimeError(f"one-shot {line!r} exited {code}")
            times[name].append(elapsed)
    return {name: statistics.median(values) for name, values in times.items()}


def _at_terminal(argv: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Run `argv` with a pseudo-terminal of ROWS x COLUMNS as its standard streams, its
    output read as it comes; seconds from the spawn to its exit, and its exit code."""
    import fcntl
    import select
    import struct
    import termios
    import threading

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    ended: list[float] = []
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv, env=env, stdin=slave, stdout=slave, stderr=slave, start_new_session=True
    )
    os.close(slave)
    waiter = threading.Thread(target=lambda: (proc.wait(), ended.append(time.perf_counter())))
    waiter.start()
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    if not os.read(master, 1 << 16):
                        break
                except OSError:  # EIO: the last holder of the terminal has gone
                    break
            elif ended:
                break
    finally:
        waiter.join(TIMEOUT)
        os.close(master)
    return ended[0] - started, proc.returncode


def opening(runs: int, home: Path, env: dict[str, str]) -> float:
    """Spawn, passphrase typed at its prompt (default Argon2id), first prompt drawn."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        term = Terminal([sys.executable, "-m", "fieldkit", "--home", str(home)], env)
        term.wait_for(b"Passphrase: ")
        term.send(PASSPHRASE + "\r")
        term.wait_prompt(len(term.buf))
        times.append(time.perf_counter() - started)
        term.finish()
    return statistics.median(times)


def memory(commands: int, home: Path, env: dict[str, str]) -> tuple[int, int]:
    """The session's VmRSS (KiB) after 10 commands and after `commands` commands: case
    list, followup list, agenda, case show in turn, a followup add every 10th."""
    mix = ["case list", "followup list CO-2026-0003", "agenda", "case show CO-2026-0003"]
    term = open_session(home, env)
    after_ten = 0
    try:
        for n in range(1, commands + 1):
            line = followup_add("CO-2026-0003") if n % 10 == 0 else mix[n % len(mix)]
            mark = len(term.buf)
            term.send(line + "\r")
            term.wait_prompt(mark)
            if n <= 10:
                _check(line, bytes(term.buf[mark:]))
            if len(term.buf) > 1 << 22:  # keep the transcript small: only RSS counts
                term.forget()
            if n == 10:
                term.settle()
                after_ten = rss_kib(term.pid)
        term.settle()
        after_all = rss_kib(term.pid)
    finally:
        term.finish()
    return after_ten, after_all


# taskwarrior


def taskwarrior() -> str | None:
    """The `task` binary, or None (then its rows are "not measured")."""
    return shutil.which("task")


def _task_env(folder: Path) -> dict[str, str]:
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    rc = folder / "taskrc"
    rc.write_text(
        f"data.location={data}\nconfirmation=off\nverbose=nothing\nhooks=off\ncolor=off\n"
        f"defaultwidth={COLUMNS}\nnews.version=9.9.9\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("TASK")}
    env.update(TASKRC=str(rc), TASKDATA=str(data), HOME=str(folder))
    return env


def task_figures(task: str, runs: int, tmp: Path) -> dict[str, float]:
    """Median of `task add` with the follow-up's text, and of `task list` on 300 tasks."""
    quiet = ["rc.confirmation=off", "rc.verbose=nothing", "rc.hooks=off"]
    adding = _task_env(tmp / "task-add")
    listing = _task_env(tmp / "task-list")
    tasks = "\n".join(
        json.dumps(
            {
                "uuid": f"{i:08x}-0000-4000-8000-000000000000",
                "description": f"Personne {i} : entretien de suivi",
                "status": "pending",
                "entry": "20260101T090000Z",
                "project": "UTNord",
            }
        )
        for i in range(300)
    )
    (tmp / "tasks.json").write_text(tasks + "\n")
    subprocess.run(
        [task, *quiet, "import", str(tmp / "tasks.json")],
        env=listing,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    count = subprocess.run(
        [task, *quiet, "status:pending", "count"],
        env=listing,
        check=True,
        capture_output=True,
        text=True,
    )
    if count.stdout.strip() != "300":
        raise RuntimeError(f"task list would show {count.stdout.strip()} tasks, not 300")
    add, add_cpu = cli_latency._measure(
        [task, *quiet, "add", f"{SUMMARY} (CO-2026-0001)"], adding, runs
    )
    listed, list_cpu = cli_latency._measure([task, *quiet, "list"], listing, runs)
    figures = {"task add": add, "task list": listed}
    return figures | {"cpu:task add": add_cpu, "cpu:task list": list_cpu}


BASELINES = {"followup add": "task add", "case list": "task list", "agenda": "task list"}


def run(runs: int = RUNS, commands: int = COMMANDS, profile: Path | None = None) -> dict:
    """Every figure; see the module's docstring."""
    cli_latency._compile_bytecode()
    figures: dict = {"runs": runs, "commands": commands}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        home = tmp / "worker"
        home_dir = tmp / "home-dir"
        home_dir.mkdir()
        saved = os.environ.get("FIELDKIT_PASSPHRASE")
        try:
            cli_latency._store(home, 300)  # default Argon2id: the opening row pays it
        finally:
            if saved is None:
                os.environ.pop("FIELDKIT_PASSPHRASE", None)
            else:
                os.environ["FIELDKIT_PASSPHRASE"] = saved
        env = _env(home_dir)
        task = taskwarrior()
        figures["task"] = task_figures(task, runs, tmp) if task else None
        if profile is not None:
            term = open_session(home, env, profile)
            for _ in range(runs):
                for line in (followup_add("CO-2026-0001"), "case list", "agenda"):
                    timed(term, line)
            term.finish()
            print(f"profile written to {profile}")
        figures["session"], figures["session_cpu"] = session_commands(runs, home, env)
        unlock = subprocess.run(
            [sys.executable, "-m", "fieldkit", "--home", str(home), "unlock", "--json"],
            env=dict(env, FIELDKIT_PASSPHRASE=PASSPHRASE),
            capture_output=True,
            text=True,
            check=True,
        )
        token = json.loads(unlock.stdout)["session"]
        figures["one_shot"] = one_shot(
            min(runs, ONE_SHOT_RUNS), home, dict(env, FIELDKIT_SESSION=token)
        )
        figures["opening"] = opening(OPENINGS, home, env)
        figures["rss_10"], figures["rss_all"] = memory(commands, home, env)
    figures["rows"] = rows(figures)
    return figures


def rows(figures: dict) -> list[dict]:
    """One row per session command: its time, its baseline's, the ratio (None when
    taskwarrior is missing), the target and the one-shot time."""
    out = []
    for name, value in figures["session"].items():
        base_name = BASELINES[name]
        base = figures["task"][base_name] if figures["task"] else None
        cpu = figures["session_cpu"][name]
        base_cpu = figures["task"][f"cpu:{base_name}"] if figures["task"] else None
        out.append(
            {
                "name": name,
                "session": value,
                "baseline_name": base_name,
                "baseline": base,
                "ratio": value / base if base else None,
                "cpu": cpu,
                "baseline_cpu": base_cpu,
                "cpu_ratio": cpu / base_cpu if base_cpu else None,
                "target": TARGETS[name],
                "one_shot": figures["one_shot"][name],
            }
        )
    return out


def report(figures: dict) -> None:
    load = os.getloadavg()
    print(f"load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}; {figures['runs']} runs")
    if figures["task"] is None:
        print("taskwarrior (task) not found: its rows are not measured")
    print(
        f"{'in the session':14} {'ms':>6}  {'baseline':9} {'ms':>5} {'ratio':>6} {'target':>6}"
        f"  ok  {'CPU ms':>6} {'base':>5} {'ratio':>6}  {'one-shot ms':>11}"
    )
    for r in figures["rows"]:
        shot = f"{r['one_shot'] * 1000:11.0f}"
        if r["ratio"] is None:
            print(
                f"{r['name']:14} {r['session'] * 1000:6.1f}  {'not measured':22}"
                f" {r['target']:5.0f}x  -   {r['cpu'] * 1000:6.1f} {'':12}  {shot}"
            )
            continue
        ok = "yes" if r["ratio"] <= r["target"] else "NO"
        print(
            f"{r['name']:14} {r['session'] * 1000:6.1f}  {r['baseline_name']:9} "
            f"{r['baseline'] * 1000:5.1f} {r['ratio']:5.2f}x {r['target']:5.0f}x  {ok:3}"
            f" {r['cpu'] * 1000:6.1f} {r['baseline_cpu'] * 1000:5.1f} {r['cpu_ratio']:5.2f}x"
            f"  {shot}"
        )
    opened = figures["opening"] * 1000
    print(f"opening (spawn, passphrase, default Argon2id, first prompt): {opened:.0f} ms")
    ratio = figures["rss_all"] / figures["rss_10"]
    print(
        f"RSS after 10 commands {figures['rss_10'] / 1024:.1f} MiB, after "
        f"{figures['commands']:,} {figures['rss_all'] / 1024:.1f} MiB: {ratio:.2f}x "
        "(target <= 1.20x)"
    )


def main(argv: list[str]) -> None:
    runs, commands, profile = RUNS, COMMANDS, None
    args = list(argv)
    while args:
        word = args.pop(0)
        if word == "--runs":
            runs = int(args.pop(0))
        elif word == "--commands":
            commands = int(args.pop(0))
        elif word == "--profile":
            profile = Path(args.pop(0)).resolve()
        else:
            raise SystemExit(__doc__)
    report(run(runs, commands, profile))


if __name__ == "__main__":
    main(sys.argv[1:])

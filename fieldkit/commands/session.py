"""fieldkit session, and `fieldkit` alone at a terminal: the interactive working session.

One process, opened once, as psql or sqlite3 are: the passphrase is asked once, the
store stays open on one connection (WorkerStore.hold), and every line typed is run by
the CLI's own root command (click), with the same words, options, output and exit
codes: a failed command prints its line and the session goes on. The session adds
only what a prompt needs:

- a few words of its own (`dossier REF` or `ouvrir REF` sets the current case, which a
  command that takes CASE receives when CASE is left out; `fermer`, `aide`, `quitter`)
  and French words for the commands (`suivi ajouter` is `followup add`), translated to
  the CLI's before click reads the line (SESSION_WORDS, COMMAND_WORDS);
- completion with Tab and as you type: commands, options, the choices' French and
  English words, the cases on the device (by reference, or by name without accents)
  and the follow-ups of the current case by short id;
- a history kept in memory for the session only, never written to disk;
- a status line: the worker, the current case, the changes waiting to sync, the last
  sync, online or offline, and what a sync brought (conflicts, refusals);
- with auto_sync on, a sync in a thread of its own after each write and every few
  minutes, under the one-sync-at-a-time lock;
- the lock after `session_idle_lock` idle at the prompt (15 minutes by default): the
  store is closed, the data key's buffer zeroed, the screen and the history cleared,
  and the passphrase asked before the next command (docs/security.md says what Python
  can and cannot wipe).

This module, and prompt_toolkit with it, is imported when a session opens, never at
start-up (issue 7: fieldkit/cli.py imports it inside the `session` command).
"""

from __future__ import annotations

import gc
import os
import shlex
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

import click
from prompt_toolkit import PromptSession
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.output.vt100 import Vt100_Output

from fieldkit.choices import fold
from fieldkit.commands.common import AppState, environment
from fieldkit.errors import FieldkitError, Locked
from fieldkit.i18n import t, t_n

if TYPE_CHECKING:
    from fieldkit.store.worker import WorkerStore
    from fieldkit.sync.worker_side import SyncResult

# The session's own words (either language): what each does.
SESSION_WORDS = {
    "case": "case",
    "dossier": "case",
    "ouvrir": "case",
    "open": "case",
    "fermer": "close",
    "close": "close",
    "aide": "help",
    "help": "help",
    "?": "help",
    "quitter": "quit",
    "quit": "quit",
    "exit": "quit",
    "effacer": "clear",
    "clear": "clear",
}

# The French words of the CLI's commands, typed in the session: the first word for a
# command or group of the root, then, per group, the words of its commands.
COMMAND_WORDS: dict[str, str] = {
    "suivi": "followup",
    "synchro": "sync",
    "synchroniser": "sync",
    "etat": "status",
    "statut": "status",
    "conflits": "conflicts",
    "journal": "audit",
    "reglages": "config",
    "charte": "charter",
    "verrouiller": "lock",
}
# Words that stand for a whole command when typed alone or with its options.
LISTING_WORDS = {
    "dossiers": ["case", "list"],
    "suivis": ["followup", "list"],
    "fiche": ["case", "summary"],
    "synthese": ["case", "summary"],
}
SUBCOMMAND_WORDS: dict[str, dict[str, str]] = {
    "case": {
        "liste": "list",
        "lister": "list",
        "voir": "show",
        "afficher": "show",
        "modifier": "update",
        "fiche": "summary",
        "synthese": "summary",
        "resume": "summary",
        "equipe": "team",
        "mesure": "measure",
        "objectif": "goal",
    },
    "followup": {
        "ajouter": "add",
        "liste": "list",
        "lister": "list",
        "voir": "show",
        "afficher": "show",
        "corriger": "amend",
        "modifier": "amend",
        "retirer": "withdraw",
    },
    "conflicts": {"liste": "list", "lister": "list", "regler": "resolve", "resoudre": "resolve"},
    "audit": {"voir": "show", "afficher": "show", "verifier": "verify"},
    "config": {"voir": "show", "afficher": "show", "regler": "set", "definir": "set"},
    "charter": {"voir": "show", "afficher": "show", "accepter": "accept"},
    "passphrase": {"changer": "change"},
}
# What `aide` lists: the French words of the everyday commands and the CLI's.
HELP_LINES = [
    ("dossiers", ["case", "list"]),
    ("dossier voir", ["case", "show"]),
    ("dossier modifier", ["case", "update"]),
    ("fiche", ["case", "summary"]),
    ("suivi ajouter", ["followup", "add"]),
    ("suivis", ["followup", "list"]),
    ("suivi voir", ["followup", "show"]),
    ("suivi corriger", ["followup", "amend"]),
    ("suivi retirer", ["followup", "withdraw"]),
    ("agenda", ["agenda"]),
    ("synchro", ["sync"]),
    ("conflits", ["conflicts", "list"]),
    ("etat", ["status"]),
]

# Commands a session does not run inside itself: a second session, a session token
# for a shell, or a new store.
NOT_INSIDE = {"session", "unlock", "init"}

# Options whose value is one of the choices (fieldkit/choices.py), for completion.
CHOICE_OPTIONS = {
    "--kind": "FollowUpKind",
    "-k": "FollowUpKind",
    "--referral-to": "ReferralDomain",
    "--concern-level": "ConcernLevel",
    "--attendance": "Attendance",
    "--priority": "Priority",
    "--status": "CaseStatus",
    "--participation": "Participation",
    "--referral-source": "ReferralSource",
    "--state": "MeasureState",
}
# Options that take a date: a date of several words after one of them (« lundi prochain »,
# « dans 2 semaines ») is one value, as if it had been quoted.
DATE_OPTIONS = ("--date", "-d", "--next-contact", "--next-review", "--referral-date", "--on")

DATE_WORDS = {
    "fr": ("aujourd'hui", "hier", "demain", "+7j"),
    "en": ("today", "yesterday", "tomorrow", "+7d"),
}

SYNC_EVERY = 180.0  # seconds between background syncs when auto_sync is on
LOCK_CHECK = 1.0  # how often the prompt looks at the idle time


class IdleLock(Exception):
    """The prompt was left idle for session_idle_lock: lock before the next command."""


def translate(words: list[str]) -> list[str]:
    """The CLI's words for a line typed with the session's French words."""
    if not words:
        return words
    if fold(words[0]) in LISTING_WORDS:
        return [*LISTING_WORDS[fold(words[0])], *words[1:]]
    first = COMMAND_WORDS.get(fold(words[0]), words[0])
    out = [first, *words[1:]]
    subs = SUBCOMMAND_WORDS.get(first)
    if subs and len(out) > 1:
        out[1] = subs.get(fold(out[1]), out[1])
    return out


@dataclass
class Status:
    """What the status line shows; refreshed after each command and each sync."""

    worker: str | None = None
    case: str | None = None
    pending: int = 0
    conflicts: int = 0
    last_sync: str | None = None
    online: bool | None = None  # None: not tried yet in this session
    syncing: bool = False
    news: list[str] = field(default_factory=list)  # what a background sync brought

    def line(self, width: int | None = None) -> str:
        """The parts joined; on a terminal narrower than all of them, the least needed
        parts go first (the worker's name, then the last sync, then "no current case"),
        rather than the line being cut in the middle of a word."""
        # (part, rank): the higher the rank, the longer the part stays.
        parts = [(self.worker or t("session.status.not_enrolled"), 0)]
        if self.case:
            parts.append((t("session.status.case", case=self.case), 3))
        else:
            parts.append((t("session.status.no_case"), 2))
        parts.append((t_n("session.status.pending", self.pending), 4))
        if self.conflicts:
            parts.append((t_n("session.status.conflicts", self.conflicts), 4))
        if self.last_sync:
            parts.append((t("session.status.last_sync", when=_when(self.last_sync)), 1))
        else:
            parts.append((t("session.status.never_synced"), 1))
        if self.syncing:
            parts.append((t("session.status.syncing"), 4))
        elif self.online is not None:
            online = t("session.status.online") if self.online else t("session.status.offline")
            parts.append((online, 4))
        parts.extend((news, 4) for news in self.news)
        for rank in range(4):
            if width is None or len(" · ".join(p for p, _ in parts)) <= width:
                break
            parts = [(p, r) for p, r in parts if r != rank]
        return " · ".join(p for p, _ in parts)


def _when(iso: str) -> str:
    """The last sync in local time: the hour today, else the day and hour."""
    try:
        moment = datetime.fromisoformat(iso).astimezone()
    except ValueError:
        return iso
    if moment.date() == datetime.now().astimezone().date():
        return moment.strftime("%H:%M")
    return moment.strftime("%d/%m %H:%M")


class KeyBuffer:
    """The data key in a bytearray that `wipe` zeroes (the copies Python makes as bytes,
    for SQLCipher's PRAGMA and the AES-GCM unwrap, it cannot zero: docs/security.md)."""

    def __init__(self, key: bytes) -> None:
        self._buffer = bytearray(key)

    def key(self) -> bytes:
        if not self._buffer:
            raise Locked("store.locked")
        return bytes(self._buffer)

    def wipe(self) -> None:
        for i in range(len(self._buffer)):
            self._buffer[i] = 0
        self._buffer = bytearray()


class WorkingSession:
    """The session of one person on one store; `run` returns the exit code."""

    def __init__(
        self,
        root: click.Group,
        env: AppState,
        root_args: list[str],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.root = root
        self.env = env
        self.home = env.home
        self.root_args = root_args
        self.clock = clock
        self.key: KeyBuffer | None = None
        self.store: WorkerStore | None = None
        self.store_id = ""
        self.session_expires: int | None = None
        self.token: str | None = None  # the shell's FIELDKIT_SESSION, when it opened this
        self.keyfile_seen: tuple[int, int] | None = None
        self.case_ref: str | None = None
        self.status = Status()
        self.last_activity = clock()
        self.idle_lock = 15 * 60
        self.auto_sync = False
        self.last_sync_try = clock()
        self._sync_thread: threading.Thread | None = None
        self._status_lock = threading.Lock()
        self._prompt: PromptSession[str] | None = None
        self._completions: _Completions | None = None

    # Opening and locking

    def open(self, *, first: bool) -> None:
        """Unlock: the shell's session or the passphrase the first time, the passphrase
        after a lock. Raises the CLI's errors (WrongPassphrase, Locked, StoreError)."""
        from fieldkit.store import access
        from fieldkit.store.keys import keyfile_path, read_keyfile
        from fieldkit.store.session import SESSION_ENV
        from fieldkit.store.worker import KIND, WorkerStore

        if first:
            unlocked = access.data_key(self.home, KIND, self.env.credentials())
            if unlocked.session_expires is not None:
                self.token = os.environ.get(SESSION_ENV)
        else:
            keyfile = read_keyfile(self.home, KIND)
            from fieldkit.commands.prompts import ask_secret

            credentials = access.Credentials(
                prompt=lambda: ask_secret(t("session.unlock_again")), wait=self.env.wait
            )
            key = access.passphrase_key(self.home, keyfile, credentials)
            unlocked = access.Unlocked(
                keyfile, access.complete_rotation(self.home, KIND, key), None
            )
        self.key = KeyBuffer(unlocked.data_key)
        self.store_id = unlocked.keyfile.store_id
        self.session_expires = unlocked.session_expires
        store = WorkerStore.from_key(
            self.home, self.store_id, self.key.key(), unlocked.session_expires
        )
        store.hold()
        self.store = store
        stat = keyfile_path(self.home, KIND).stat()
        self.keyfile_seen = (stat.st_ino, stat.st_mtime_ns)
        from fieldkit import config

        settings = config.load(self.home)
        self.idle_lock = settings.session_idle_lock
        self.auto_sync = settings.auto_sync
        self.refresh_status()

    def lock(self) -> None:
        """Close the store, zero the key, forget the history and the completions."""
        self._wait_sync()
        if self.store is not None:
            self.store.release()
            self.store = None
        if self.key is not None:
            self.key.wipe()
            self.key = None
        if self._prompt is not None:
            self._prompt.history = InMemoryHistory()
            self._prompt.default_buffer.history = self._prompt.history
            self._prompt.default_buffer.reset()
        self._completions = None

    def end(self) -> None:
        """The session ends: lock, and end the shell's session that opened it, if any."""
        self.lock()
        if self.token:
            from fieldkit.store.session import end_session

            end_session(self.home, self.store_id, self.token)

    def _store_moved(self) -> bool:
        """True when another process changed the key file (a passphrase change): the
        store open here is no longer the store on disk."""
        from fieldkit.store.keys import keyfile_path
        from fieldkit.store.worker import KIND

        try:
            stat = keyfile_path(self.home, KIND).stat()
        except OSError:
            return True
        return (stat.st_ino, stat.st_mtime_ns) != self.keyfile_seen

    # The status line

    def refresh_status(self) -> None:
        if self.store is None:
            return
        try:
            worker, pending, conflicts, last_sync = self.store.glance()
        except Exception:  # a status line never stops the session
            return
        with self._status_lock:
            self.status.worker = worker
            self.status.case = self.case_ref
            self.status.pending = pending
            self.status.conflicts = conflicts
            self.status.last_sync = last_sync

    def _toolbar(self) -> str:
        width = None
        if self._prompt is not None:
            width = self._prompt.app.output.get_size().columns - 2
        with self._status_lock:
            return " " + self.status.line(width)

    # Background sync

    def start_sync(self) -> None:
        """A sync in a thread of its own, on a connection of its own; skipped when one
        runs already, here or in another process (the sync lock)."""
        if self.key is None or (self._sync_thread is not None and self._sync_thread.is_alive()):
            return
        key = self.key.key()
        self.last_sync_try = self.clock()
        with self._status_lock:
            self.status.syncing = True
        thread = threading.Thread(target=self._sync, args=(key,), daemon=True)
        self._sync_thread = thread
        thread.start()

    def _sync(self, key: bytes) -> None:
        from fieldkit import config
        from fieldkit.errors import Busy, Offline
        from fieldkit.store.worker import WorkerStore
        from fieldkit.sync import worker_side

        online: bool | None = None
        result: SyncResult | None = None
        seen: tuple[str | None, int, int, str | None] | None = None
        try:
            timeout = config.load(self.home).auto_sync_timeout
            # Its own connection: a connection is not shared between threads.
            with (
                worker_side.sync_lock(self.home, wait=False),
                WorkerStore.from_key(
                    self.home, self.store_id, key, self.session_expires or 1
                ) as store,
            ):
                result = worker_side.sync_online(store, timeout=timeout)
                seen = store.glance()
            online = True
        except Offline:
            online = False
        except Busy:
            online = None
        except Exception:  # the next sync says more; work stays queued
            online = None
        finally:
            del key
            with self._status_lock:
                self.status.syncing = False
                if online is not None:
                    self.status.online = online
                if result is not None:
                    self.status.news = _news(result)
                if seen is not None:
                    _, self.status.pending, self.status.conflicts, self.status.last_sync = seen
            self._redraw()

    def _wait_sync(self) -> None:
        thread = self._sync_thread
        if thread is not None and thread.is_alive():
            thread.join(timeout=30)

    def _redraw(self) -> None:
        prompt = self._prompt
        if prompt is not None and prompt.app.is_running:
            prompt.app.invalidate()

    # The loop

    def run(self) -> int:
        from fieldkit.sync import auto

        self._prompt = PromptSession(
            output=_status_output(),
            history=InMemoryHistory(),
            completer=_Completer(self),
            complete_while_typing=True,
            bottom_toolbar=self._toolbar,
            refresh_interval=LOCK_CHECK,
            enable_history_search=False,
            enable_open_in_editor=False,  # Ctrl-X Ctrl-E would write a temporary file
            enable_suspend=False,
            mouse_support=False,
        )
        buffer = self._prompt.default_buffer
        buffer.on_text_changed += lambda _: self._touch()
        buffer.on_cursor_position_changed += lambda _: self._touch()
        auto.in_process = lambda store: self.start_sync()
        # What is loaded by now (the CLI, prompt_toolkit, the models) lives as long as
        # the session: kept out of the garbage collector's passes, which then look only
        # at what each command makes.
        gc.freeze()
        say(t("session.welcome"))
        try:
            while True:
                try:
                    line = self._read()
                except IdleLock:
                    if not self._relock():
                        return 0
                    continue
                except KeyboardInterrupt:
                    continue  # Ctrl-C drops the line, never the session
                except EOFError:
                    return 0
                if not self.execute(line):
                    return 0
        finally:
            auto.in_process = None
            self._wait_sync()  # a background sync under way may still send them
            self.refresh_status()
            with self._status_lock:
                pending = self.status.pending if self.store is not None else 0
            self.end()
            say(t("session.ended"))
            if pending:
                say(t_n("session.pending_at_end", pending))

    def _touch(self) -> None:
        self.last_activity = self.clock()

    def _read(self) -> str:
        assert self._prompt is not None

        def watch_idle() -> None:
            app = self._prompt.app  # type: ignore[union-attr]

            async def watcher() -> None:
                import asyncio

                while True:
                    await asyncio.sleep(LOCK_CHECK)
                    if self.clock() - self.last_activity >= self.idle_lock:
                        app.exit(exception=IdleLock())
                        return
                    if self.auto_sync and self.clock() - self.last_sync_try >= SYNC_EVERY:
                        self.start_sync()

            app.create_background_task(watcher())

        self._touch()
        message = f"fieldkit {self.case_ref}> " if self.case_ref else "fieldkit> "
        return self._prompt.prompt(message, pre_run=watch_idle)

    def _relock(self) -> bool:
        """Lock after the idle time, clear the screen, and ask the passphrase until it
        is right; False when the person ends the session there (Ctrl-D)."""
        from fieldkit.commands.prompts import Interrupted

        minutes = max(1, self.idle_lock // 60)
        self.lock()
        clear_screen()
        say(t_n("session.locked_idle", minutes))
        while True:
            try:
                self.open(first=False)
                say(t("session.unlocked"))
                return True
            except Interrupted:
                return False  # Ctrl-C or Ctrl-D at the passphrase: the session ends, locked
            except FieldkitError as exc:
                say(f"fieldkit: {exc.message}", err=True)

    def execute(self, line: str) -> bool:
        """Run one line; False when it ends the session."""
        try:
            words = shlex.split(line)
        except ValueError:
            say(f"fieldkit: {t('session.unclosed_quote')}", err=True)
            return True
        if not words:
            return True
        word = SESSION_WORDS.get(fold(words[0]))
        if word == "quit":
            return False
        if word == "clear":
            clear_screen()
            return True
        if word == "help":
            self._help(words[1:])
            return True
        if word == "close":
            if self.case_ref:
                say(t("session.case_closed", case=self.case_ref))
            self.case_ref = None
            self.refresh_status()
            return True
        if word == "case" and (len(words) < 2 or fold(words[1]) not in _case_words(self.root)):
            self._set_case(words[1:])
            return True
        if word == "case":
            words = ["case", *words[1:]]
        args = translate(words)
        group = _group(self.root, args[:1])
        if group is None and self._leaf(args)[0] is None:
            # Not a command: a kind of follow-up typed first (« entretien … ») gets a hint.
            kind = _kind_word(words[0])
            if kind is not None:
                say(f"fieldkit: {t('session.kind_hint', word=words[0], kind=kind)}", err=True)
                return True
        if group is not None and not group.invoke_without_command:
            if len(args) == 1 or args[1] in ("--help", "-h"):
                self._help(words[:1])  # a group alone: its commands, not a usage error
                return True
            if not args[1].startswith("-") and group.get_command(_ctx(group), args[1]) is None:
                say(f"fieldkit: {self._unknown_sub(words[0], args[0], words[1], group)}", err=True)
                return True
        if args[0] in NOT_INSIDE:
            say(f"fieldkit: {t('session.not_inside', command=args[0])}", err=True)
            return True
        if self._store_moved():
            self.lock()
            say(t("session.store_changed"))
            if not self._relock():
                return False
        args = self._with_case(join_dates(args))
        code = self.invoke(args)
        if args[0] == "lock" and code == 0:
            return False  # every session of the store ended: this one too
        if args[:2] == ["passphrase", "change"] and code == 0:
            say(t("session.passphrase_changed"))
            return False
        if self._completions is not None:
            self._completions.followups = None  # the current case's, read when next asked
        self.refresh_status()
        if args[0] == "sync" and code in (0, 5):
            with self._status_lock:
                self.status.online = code == 0
                self.status.news = []
        return True

    def invoke(self, args: list[str]) -> int:
        """Run the CLI's root command on `args`, as `fieldkit ARGS` would, in this
        process; its exit code."""
        try:
            # Without standalone mode, click returns an Exit's code rather than raising.
            code = self.root.main(
                [*self.root_args, *args],
                prog_name="fieldkit",
                standalone_mode=False,
                obj=AppState(
                    stdin_isatty=self.env.stdin_isatty,
                    stdout_isatty=self.env.stdout_isatty,
                    stderr_isatty=self.env.stderr_isatty,
                ),
            )
            return code if isinstance(code, int) else 0
        except click.exceptions.Exit as exc:
            return exc.exit_code
        except click.UsageError as exc:
            # One line and where to find the command's help, not the usage block.
            say(f"fieldkit: {exc.format_message()} {t('session.usage_hint')}", err=True)
            return exc.exit_code
        except click.ClickException as exc:
            exc.show()
            return exc.exit_code
        except click.exceptions.Abort:
            return 130
        except SystemExit as exc:
            return exc.code if isinstance(exc.code, int) else 1
        except Exception as exc:  # the CLI's own handler missed it: one line
            # Never the exception's text: it could quote personal data.
            say(f"fieldkit: {t('error.internal', kind=type(exc).__name__)}", err=True)
            return 1
        finally:
            self.env.stdout.flush()
            self.env.stderr.flush()

    # Words of the session

    def _set_case(self, rest: list[str]) -> None:
        if not rest and self.case_ref is None:
            say(t("session.case_none"))
            return
        ref = " ".join(rest) if rest else self.case_ref
        assert self.store is not None
        try:
            case, _ = self.store.get_case(ref, limit=0)
        except FieldkitError as exc:
            from fieldkit.display import escape

            say(f"fieldkit: {escape(exc.message)}", err=True)
            return
        self.case_ref = case.reference
        self.refresh_status()
        from fieldkit.display import escape

        say(t("session.case_set", case=case.reference, name=escape(case.display_name)))

    def _with_case(self, args: list[str]) -> list[str]:
        """`args` with the current case put in where its command takes CASE and the
        line left it out."""
        if self.case_ref is None:
            return args
        command, depth = self._leaf(args)
        if command is None or not any(p.name == "case" for p in _arguments(command)):
            return args
        first = next(p for p in _arguments(command))
        if first.name != "case" or "--help" in args:
            return args
        try:
            ctx = command.make_context(
                args[depth - 1], list(args[depth:]), resilient_parsing=True, obj=AppState()
            )
        except click.ClickException:
            return args
        if ctx.params.get("case") is not None:
            return args
        return [*args[:depth], self.case_ref, *args[depth:]]

    def _leaf(self, args: list[str]) -> tuple[click.Command | None, int]:
        """The command `args` names, and how many of its words name it."""
        ctx = click.Context(self.root, info_name="fieldkit", obj=AppState())
        command: click.Command = self.root
        depth = 0
        while isinstance(command, click.Group) and depth < len(args):
            sub = command.get_command(ctx, args[depth])
            if sub is None:
                return None, depth
            command, depth = sub, depth + 1
        return (None, depth) if isinstance(command, click.Group) else (command, depth)

    def _unknown_sub(self, typed_group: str, group_name: str, typed: str, group) -> str:
        """« suivi ajoutr »: what is wrong, the closest command in either language, and
        where the group's commands are listed."""
        from difflib import get_close_matches

        from fieldkit.display import escape

        names = [*group.list_commands(_ctx(group)), *SUBCOMMAND_WORDS.get(group_name, {})]
        close = get_close_matches(fold(typed), names, n=1, cutoff=0.6)
        key = "session.unknown_sub_close" if close else "session.unknown_sub"
        return t(
            key,
            group=escape(typed_group),
            word=escape(typed),
            close=close[0] if close else "",
        )

    def _help(self, rest: list[str]) -> None:
        if rest:
            if SESSION_WORDS.get(fold(rest[0])) == "case":
                rest = ["case", *rest[1:]]
            self.invoke([*translate(rest), "--help"])
            return
        say(t("session.help"))
        say("")
        say(t("session.help_commands"))
        import shutil

        room = max(20, shutil.get_terminal_size((100, 24)).columns - 2 - 22 - 1 - 18 - 2)
        for french, english in HELP_LINES:
            command, _ = self._leaf(english)
            summary = command.get_short_help_str(limit=room) if command is not None else ""
            say(f"  {french:<22} {' '.join(english):<18} {summary}", wrap=False)

    # What completion offers

    def completions(self) -> _Completions:
        """What completion offers, read again only when it may have changed: the cases
        when the store's cases did (written here, or by another process), the current
        case's follow-ups after each command."""
        store = self.store
        if store is None:
            return _Completions((), [], [])
        try:
            version = store.cases_version()
        except FieldkitError:
            return _Completions((), [], [])
        held = self._completions
        if held is None or held.version != version:
            self._completions = held = _Completions.read(self, version)
        elif held.followups is None or held.followups_case != self.case_ref:
            held.followups = _Completions.followups_of(self)
            held.followups_case = self.case_ref
        return held


def join_dates(args: list[str]) -> list[str]:
    """`args` with each date written in several words after a date option joined into one
    value: `--next-contact mardi prochain` reads as `--next-contact "mardi prochain"`.
    The longest run of up to three words that reads as a date wins; a word that is not
    part of one (a case reference, another option) is left where it is."""
    from fieldkit.dates import parse_day

    joined: list[str] = []
    at = 0
    while at < len(args):
        word = args[at]
        joined.append(word)
        at += 1
        if word not in DATE_OPTIONS or at >= len(args):
            continue
        take = 1
        for count in (3, 2):
            words = args[at : at + count]
            if len(words) == count and not any(w.startswith("-") for w in words[1:]):
                try:
                    parse_day(" ".join(words), word)
                except FieldkitError:
                    continue
                take = count
                break
        joined.append(" ".join(args[at : at + take]))
        at += take
    return joined


def _kind_word(word: str) -> str | None:
    """The kind of follow-up a word names (« entretien », « visite »), if it names one."""
    from fieldkit import choices
    from fieldkit.enums import FollowUpKind

    try:
        member = choices.parse(FollowUpKind, word, "--kind")
    except FieldkitError:
        return None
    from fieldkit.i18n import current_language

    return shlex.quote(choices.word(member, current_language()))


def _case_words(root: click.Group) -> set[str]:
    """What may follow `case`/`dossier` to name a command of the case group rather than a
    case: the group's own commands, their French words, and --help."""
    group = _group(root, ["case"])
    names = set(group.list_commands(_ctx(group))) if group is not None else set()
    return names | set(SUBCOMMAND_WORDS["case"]) | {"--help"}


def _arguments(command: click.Command) -> Iterator[click.Argument]:
    return (p for p in command.params if isinstance(p, click.Argument))


@dataclass
class _Completions:
    """The cases on the device, kept while the store's cases stay as they were (reading
    300 of them costs more than a command), and the current case's follow-ups, read
    again after each command. The names are shown, written out, in the completion menu
    only; the lock forgets all of it."""

    version: tuple  # the store's cases_version when `cases` was read
    # (reference, display name, (both folded as typing is compared with them))
    cases: list[tuple[str, str, tuple[str, str]]]
    followups: list[tuple[str, str]] | None  # (short id, "date kind"); None: to read
    followups_case: str | None = None  # the current case they are of

    @classmethod
    def read(cls, session: WorkingSession, version: tuple) -> _Completions:
        store = session.store
        if store is None:
            return cls((), [], [])
        from fieldkit.display import escape

        try:
            cases = []
            for case in store.list_cases():
                name = escape(case.display_name)
                cases.append((case.reference, name, (fold(case.reference), fold(name))))
        except FieldkitError:
            return cls((), [], [])
        return cls(version, cases, cls.followups_of(session), session.case_ref)

    @staticmethod
    def followups_of(session: WorkingSession) -> list[tuple[str, str]]:
        store = session.store
        if store is None or not session.case_ref:
            return []
        from fieldkit import choices
        from fieldkit.dates import show_day
        from fieldkit.display import short_id
        from fieldkit.i18n import current_language

        language = current_language()
        try:
            return [
                (short_id(f.id), f"{show_day(f.occurred_on)} {choices.word(f.kind, language)}")
                for f in store.list_followups(session.case_ref)
            ]
        except FieldkitError:
            return []


class _Completer(Completer):
    """What Tab and typing offer, read from the CLI's own command tree."""

    def __init__(self, session: WorkingSession) -> None:
        self.session = session

    def get_completions(self, document: Document, event: CompleteEvent) -> Iterable[Completion]:
        text = document.text_before_cursor
        words = text.split()
        current = "" if text.endswith((" ", "\t")) or not words else words[-1]
        before = words[:-1] if current else words
        for value, display, meta in self._candidates(before, current):
            yield Completion(
                value, start_position=-len(current), display=display, display_meta=meta
            )

    def _candidates(self, before: list[str], current: str) -> Iterator[tuple[str, str, str]]:
        session = self.session
        folded = fold(current)
        if not before:
            from fieldkit.i18n import current_language

            english = sorted(session.root.list_commands(_ctx(session.root)))
            french = sorted(
                w
                for w in {*SESSION_WORDS, *COMMAND_WORDS, *LISTING_WORDS}
                if w.isalpha() and w not in english
            )
            words = french + english if current_language() == "fr" else english + french
            yield from _matching(words, folded)
            return
        first = SESSION_WORDS.get(fold(before[0]))
        if first == "case" and len(before) == 1 and not _case_words_match(session.root, folded):
            yield from self._cases(folded)
            return
        args = translate(["case", *before[1:]] if first == "case" else before)
        command, depth = session._leaf(args)
        if command is None:
            group = _group(session.root, args)
            if group is not None and depth == len(args):
                names = list(group.list_commands(_ctx(group)))
                french = SUBCOMMAND_WORDS.get(args[0], {}) if depth == 1 else {}
                yield from _matching(sorted({*names, *french}), folded)
                if first == "case" and len(before) == 1:
                    yield from self._cases(folded)
            return
        previous = before[-1] if len(before) > depth else ""
        option = _option(command, previous)
        if option is not None and not option.is_flag and not option.count:
            yield from self._values(previous, folded)
            return
        if current.startswith("-"):
            names = [
                n
                for p in command.params
                if isinstance(p, click.Option)
                for n in p.opts + p.secondary_opts
            ]
            yield from _matching(sorted(names), folded)
            return
        positionals = _positionals(command, before[depth:])
        wanted = [p.name for p in _arguments(command)]
        if wanted and positionals < len(wanted):
            name = wanted[positionals]
            if name == "case":
                yield from self._cases(folded)
            elif name == "followup_id":
                for short, label in session.completions().followups or []:
                    if short.startswith(current.lower()):
                        yield short, short, label

    def _cases(self, folded: str) -> Iterator[tuple[str, str, str]]:
        for reference, name, searched in self.session.completions().cases:
            if searched[0].startswith(folded) or folded in searched[1]:
                yield reference, reference, name

    def _values(self, option: str, folded: str) -> Iterator[tuple[str, str, str]]:
        from fieldkit import choices, enums
        from fieldkit.i18n import current_language

        language = current_language()
        if option in CHOICE_OPTIONS:
            enum = getattr(enums, CHOICE_OPTIONS[option])
            for member in enum:
                # The screen's word when it matches what is typed, else the code.
                for word in (choices.word(member, language), member.value):
                    if fold(word).startswith(folded):
                        yield shlex.quote(word), word, ""
                        break
            return
        if option in DATE_OPTIONS:
            for word in DATE_WORDS.get(language, DATE_WORDS["en"]):
                if fold(word).startswith(folded):
                    yield shlex.quote(word), word, ""


def _case_words_match(root: click.Group, folded: str) -> bool:
    return bool(folded) and any(w.startswith(folded) for w in _case_words(root))


def _ctx(command: click.Command) -> click.Context:
    return click.Context(command, info_name=command.name, obj=AppState())


def _group(root: click.Group, args: list[str]) -> click.Group | None:
    """The group `args` names, if they name one."""
    command: click.Command = root
    for word in args:
        if not isinstance(command, click.Group):
            return None
        sub = command.get_command(_ctx(command), word)
        if sub is None:
            return None
        command = sub
    return command if isinstance(command, click.Group) else None


def _option(command: click.Command, word: str) -> click.Option | None:
    for param in command.params:
        if isinstance(param, click.Option) and word in (*param.opts, *param.secondary_opts):
            return param
    return None


def _positionals(command: click.Command, words: list[str]) -> int:
    """How many positional values `words` (after the command's name) hold."""
    count = 0
    skip = False
    for word in words:
        if skip:
            skip = False
            continue
        if word.startswith("-"):
            option = _option(command, word)
            skip = option is not None and not option.is_flag and not option.count
            continue
        count += 1
    return count


def _matching(names: Iterable[str], folded: str) -> Iterator[tuple[str, str, str]]:
    for name in names:
        if fold(name).startswith(folded):
            yield name, name, ""


def _news(result: SyncResult) -> list[str]:
    news = []
    if result.conflicts:
        news.append(t_n("session.news.conflicts", result.conflicts))
    if result.refused:
        news.append(t_n("session.news.refused", len(result.refused)))
    if result.decisions:
        news.append(t_n("session.news.decisions", result.decisions))
    return news


class _StatusOutput(Vt100_Output):
    """The terminal, drawn without asking where the cursor is.

    prompt_toolkit shows a bottom toolbar only once it knows how many rows lie below the
    cursor. On a Unix terminal it asks (a cursor-position request) at every prompt and
    draws the prompt twice: once without the status line, once with it when the answer
    comes back, and waits for the answer before each command's output. Saying "at least
    one row" here lets it draw the prompt and its status line at once: the status line
    stands below the space kept for the completion menu, where it stood anyway once the
    screen had filled up (the usual case after a few commands).
    """

    @property
    def responds_to_cpr(self) -> bool:
        return False

    def get_rows_below_cursor_position(self) -> int:
        return 1


def _status_output() -> Vt100_Output:
    return _StatusOutput.from_pty(environment().stdout, term=os.environ.get("TERM"))


def say(line: str, *, err: bool = False, wrap: bool = True) -> None:
    """A line of the session's own, wrapped between words to the terminal's width."""
    import shutil
    import textwrap

    env = environment()
    stream = env.stderr if err else env.stdout
    if wrap and line:
        width = max(40, shutil.get_terminal_size((100, 24)).columns - 1)
        line = textwrap.fill(line, width, break_long_words=False, break_on_hyphens=False)
    stream.write(line + "\n")
    stream.flush()


def clear_screen() -> None:
    """The screen and the terminal's scrollback cleared (case content off the screen)."""
    out = environment().stdout
    out.write("\x1b[H\x1b[2J\x1b[3J")
    out.flush()


def start(root: click.Group, env: AppState, root_args: list[str]) -> int:
    """Open the session (the passphrase once, or the shell's session), run it, and give
    its exit code. An error at the opening is one line, as the CLI prints it."""
    from fieldkit.commands.prompts import Interrupted
    from fieldkit.errors import WrongPassphrase

    session = WorkingSession(root, env, root_args)
    tries = 3 if env.interactive else 1
    while True:
        try:
            session.open(first=True)
            break
        except Interrupted as exc:
            say(exc.message, err=True)
            return exc.exit_code
        except WrongPassphrase as exc:
            tries -= 1
            if tries <= 0:
                raise
            say(f"fieldkit: {exc.message}", err=True)
    return session.run()

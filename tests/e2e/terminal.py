"""A person's shell at a real terminal: bash in a pseudo-terminal, driven by pexpect.

`Terminal` types a command line as a person would, answers what fieldkit asks, and
keeps every character the screen showed (`transcript`), so that a test can judge the
whole screen afterwards: its language, and that no internal id leaked onto it.
"""

from __future__ import annotations

import re

import pexpect

PROMPT = "léa$ "
# What a terminal's control sequences look like: colour, cursor moves, title, modes.
CONTROL = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]|\r")


def screen_text(raw: str) -> str:
    """The text a person reads: the terminal's control sequences taken out."""
    return CONTROL.sub("", raw)


class Terminal:
    """bash --norc at a 40×120 terminal, with `env`, in `cwd`."""

    def __init__(self, env: dict[str, str], cwd: str, timeout: float = 90) -> None:
        env = dict(env, PS1=PROMPT, TERM="xterm-256color", HISTFILE="/dev/null")
        self.child = pexpect.spawn(
            "bash",
            ["--norc", "--noprofile", "-i"],
            env=env,
            cwd=cwd,
            encoding="utf-8",
            timeout=timeout,
            dimensions=(40, 120),
        )
        self.raw: list[str] = []
        self._wait_prompt()

    def _collect(self) -> None:
        self.raw.append((self.child.before or "") + (self.child.after or ""))

    def _wait_prompt(self) -> str:
        self.child.expect_exact(PROMPT)
        before = self.child.before or ""
        self.raw.append(before + PROMPT)
        return screen_text(before)

    def type(self, line: str) -> None:
        """Type a command line and press Enter, without waiting for anything."""
        self.child.sendline(line)

    def run(self, line: str) -> str:
        """Type a command line, wait for the shell to come back; what the screen showed."""
        self.type(line)
        return self._wait_prompt()

    def expect(self, text: str) -> str:
        """Wait until `text` shows (control sequences aside); what came before it."""
        pattern = re.compile(r"(?:\x1b\[[0-?]*[ -/]*[@-~]|\r)*".join(map(re.escape, text)))
        self.child.expect(pattern)
        self._collect()
        return screen_text(self.child.before or "")

    def answer(self, text: str) -> None:
        self.child.sendline(text)

    def send(self, keys: str) -> None:
        self.child.send(keys)

    def ctrl(self, key: str) -> None:
        self.child.sendcontrol(key)

    def wait_prompt(self) -> str:
        return self._wait_prompt()

    def exit_code(self) -> int:
        return int(self.run("echo $?").split()[-1])

    def transcript(self) -> str:
        return screen_text("".join(self.raw))

    def close(self) -> None:
        self.child.sendline("exit")
        self.child.expect(pexpect.EOF)
        self.child.close()

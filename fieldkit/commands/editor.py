"""A multi-line text typed at the terminal, in the terminal (prompt_toolkit).

For the long texts of a case (a follow-up's summary, a case's situation, an amendment,
the cell's note): Enter starts a new line, Esc then Enter (or Alt+Enter) saves, Ctrl-C
asks whether to give the text up. No temporary file is ever written: an external
`$EDITOR` would leave the text on disk, which the store exists to avoid.

Text from people is data. What is pasted arrives as text (bracketed paste: an escape
sequence in it is inserted, not obeyed), and what is shown on screen has its control and
invisible characters written out (`\\x1b`, `<U+202E>`, as fieldkit.display does), so
the text on the terminal is the text that will be kept.

prompt_toolkit is imported when a text is asked for, never at start-up (issue 7).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fieldkit.commands.common import environment
from fieldkit.commands.prompts import Interrupted, ask_line, confirm
from fieldkit.i18n import t

if TYPE_CHECKING:
    from prompt_toolkit.layout.processors import Processor


def ask_text(label: str, *, required: bool, initial: str = "") -> str | None:
    """A text typed at the terminal: the editor on a real terminal, one line when only
    told the streams are a terminal (a test's CliRunner). `label` names the text (already
    translated); `initial` is the text to edit. None when left empty and not `required`;
    Interrupted when the person gives up."""
    env = environment()
    if _real_terminal(env.stdin) and _real_terminal(env.stderr):
        return edit(label, initial=initial, required=required)
    while True:
        answer = ask_line(label, default=initial or ("" if not required else None)).strip()
        if answer or not required:
            return answer or None


def _real_terminal(stream: object) -> bool:
    try:
        return stream.isatty() and stream.fileno() >= 0  # type: ignore[attr-defined]
    except (AttributeError, ValueError, OSError):
        return False


def edit(label: str, *, initial: str = "", required: bool) -> str | None:
    """The editor, on the environment's stdin and stderr (stdout may be a pipe).

    Says how to finish first. Ctrl-C asks « Abandonner ce texte ? »: no goes back to
    the text as it was, yes stops the command (Interrupted: nothing recorded). Ctrl-D on
    an empty text stops it too. An empty text where one is required is asked again."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.input import create_input
    from prompt_toolkit.key_binding import KeyBindings
    from prompt_toolkit.keys import Keys
    from prompt_toolkit.output import create_output

    env = environment()
    bindings = KeyBindings()

    @bindings.add("escape", "enter")
    def _save(event) -> None:  # type: ignore[no-untyped-def]
        event.current_buffer.validate_and_handle()

    # With the mouse off, what reads as a mouse report (`\x1b[31m` pasted where the
    # terminal does not mark pastes) is text that was typed: it is kept as text.
    @bindings.add(Keys.Vt100MouseEvent)
    def _text(event) -> None:  # type: ignore[no-untyped-def]
        event.current_buffer.insert_text(event.data)

    session: PromptSession[str] = PromptSession(
        multiline=True,
        input=create_input(env.stdin),
        output=create_output(env.stderr),
        key_bindings=bindings,
        input_processors=[written_out()],
        prompt_continuation=lambda width, line, wrap: "",
        enable_history_search=False,
        mouse_support=False,
        complete_while_typing=False,
        enable_open_in_editor=False,  # Ctrl-X Ctrl-E would write a temporary file
        enable_suspend=False,
        erase_when_done=False,
    )
    _say(t("prompt.editor_hint", label=label))
    text = initial
    while True:
        try:
            text = session.prompt("", default=text)
        except KeyboardInterrupt:
            text = session.default_buffer.text
            if not text.strip() or confirm(t("prompt.discard_text")):
                raise Interrupted() from None
            continue
        except EOFError:  # Ctrl-D on an empty text
            raise Interrupted() from None
        text = text.strip()
        if text or not required:
            return text or None
        _say(t("prompt.text_empty"))


def _say(line: str) -> None:
    err = environment().stderr
    err.write(line + "\n")
    err.flush()


def written_out() -> Processor:
    """A prompt_toolkit processor showing each control or invisible character of the
    text as fieldkit.display writes it out (`\\x1b`, `<U+202E>`); the text is unchanged,
    and the cursor moves over a written-out character as over one."""
    from prompt_toolkit.layout.processors import Processor, Transformation

    from fieldkit.display import escape

    class WrittenOut(Processor):
        def apply_transformation(self, ti):  # type: ignore[no-untyped-def]
            fragments = []
            source_to_display = [0]
            display_to_source: list[int] = []
            position = 0
            for style, text, *rest in ti.fragments:
                for char in text:
                    shown = char if char == "\t" or char.isprintable() else escape(char)
                    if shown == char:
                        fragments.append((style, char, *rest))
                    else:
                        fragments.append((f"{style} class:control-character", shown, *rest))
                    display_to_source.extend([len(source_to_display) - 1] * len(shown))
                    position += len(shown)
                    source_to_display.append(position)
            display_to_source.append(len(source_to_display) - 1)

            def to_display(i: int) -> int:
                return source_to_display[min(i, len(source_to_display) - 1)]

            def to_source(i: int) -> int:
                return display_to_source[min(i, len(display_to_source) - 1)]

            return Transformation(fragments, to_display, to_source)

    return WrittenOut()

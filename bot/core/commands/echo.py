"""User text echoed back inside a reply: short, printable, and unable to break the quoting."""

from __future__ import annotations

SHOW_MAX = 60  # user text echoed in a reply
TRY_MAX = 400  # a suggested command line


def code(text: str) -> str:
    """User text as `code` in a reply: short, printable, and unable to break the quoting."""
    shown = text if len(text) <= SHOW_MAX else text[: SHOW_MAX - 1] + "…"
    return f"`{clean(shown)}`"


def command_line(words: list[str]) -> str:
    """A command line to suggest after `Try:`, from the user's words (cleaned, clipped)."""
    line = " ".join(clean(word) for word in words)
    return line if len(line) <= TRY_MAX else line[: TRY_MAX - 1] + "…"


def clean(text: str) -> str:
    # A backtick would end the code span early; invisible and control characters (and
    # lone surrogates, which no door can encode) would hide what the user typed.
    return "".join(
        "'" if char == "`" else char if char.isprintable() else "\ufffd" for char in text
    )


def describe_char(char: str) -> str:
    """One character named so that a person can find it in what they typed."""
    if char == "`":
        return "the backtick"
    if char.isprintable() and char.isascii():
        return f"`{char}`"
    if char.isprintable():
        return f"`{char}` (U+{ord(char):04X})"
    return f"the invisible character U+{ord(char):04X}"

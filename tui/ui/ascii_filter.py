# ruff: noqa: RUF001  (look-alike characters are the point of these tables)
"""Glyphs a terminal can draw: ``--ascii``, and the Linux console's font, cell widths unchanged.

A Textual line filter (the mechanism Textual uses for NO_COLOR) transliterates the
composed frame, so borders, scrollbars, progress bars, the footer and API text are all
covered, not only the widgets that know about ``--ascii``.

The Linux console (``TERM=linux``) draws from a 256- or 512-glyph font: what every such font
has is ASCII and the upper half of code page 437 (single and double box drawing, half and full
blocks, shades, Latin-1 letters, a few Greek letters and maths signs). Rounded corners, heavy
lines, eighth blocks, arrows, check marks and most symbols show as a blank or a diamond, so
they are replaced there by the nearest glyph of that set, or by ASCII.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from functools import lru_cache

from rich.cells import cell_len
from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

_GROUPS: dict[str, str] = {
    "-": "─━┄┅┈┉╌╍═╼╾╴╶╸╺▁▔‐‑‒–—―−⎯",
    # ▎ is the right edge of Textual's "tall" border (inputs, option lists, the copy menu).
    "|": "│┃┆┇┊┋╎╏║╽╿╵╷╹╻▏▎▕⏸",
    "+": "┌┍┎┏┐┑┒┓└┕┖┗┘┙┚┛├┝┞┟┠┡┢┣┤┥┦┧┨┩┪┫┬┭┮┯┰┱┲┳┴┵┶┷┸┹┺┻┼┽┾┿╀╁╂╃╄╅╆╇╈╉╊╋"
    "╒╓╔╕╖╗╘╙╚╛╜╝╞╟╠╡╢╣╤╥╦╧╨╩╪╫╬╭╮╯╰",
    "#": "█▉▊▋▌▍▐▀▄▆▇▅▃▂■▖▗▘▝▙▛▜▟",
    ":": "░▒▓▚▞",
    ".": "·•∙⋅",
    ">": "▶►▸›»→⇢❯",
    "<": "◀◄◂‹«←",
    "^": "▲▴↑",
    "v": "▼▾↓",
    "x": "✘✗×⊘⊖",
    "*": "●◉◆★✔✓⧗◷",
    "o": "○◯◦",
    "'": "‘’′",
    '"': "“”″",
}
TABLE: dict[str, str] = {
    char: ascii_char for ascii_char, chars in _GROUPS.items() for char in chars
}
# Cut text (Rich's overflow="ellipsis") ends in ~: a lone "." read as a full stop
# ("running fo.").
TABLE["…"] = "~"
TABLE["🔎"] = "> "  # the command palette's search icon (two cells)

# -- the Linux console ---------------------------------------------------------------------

LINUX_CONSOLE_CHARS: frozenset[str] = frozenset(
    [chr(code) for code in range(0x20, 0x7F)] + list(bytes(range(0x80, 0x100)).decode("cp437"))
)
"""What every Linux console font draws: printable ASCII and the upper half of CP437."""

_LINUX_GROUPS: dict[str, str] = {
    # Lines: rounded corners become square, heavy lines double, dashed and half lines single.
    "┌": "╭┍┎",
    "┐": "╮┑┒",
    "└": "╰┕┖",
    "┘": "╯┙┚",
    "├": "┝┞┟┠┡┢",
    "┤": "┥┦┧┨┩┪",
    "┬": "┭┮┯┰┱┲",
    "┴": "┵┶┷┸┹┺",
    "┼": "┽┾┿╀╁╂╃╄╅╆╇╈╉╊",
    "─": "┄┈╌╴╶╼╾‐‑‒–—―−⎯",
    "│": "┆┊╎╵╷╽╿",
    "═": "━┅┉╍╸╺",
    "║": "┃┇┋╏╹╻⏸",  # ⏸: waiting for input, paused
    "╔": "┏",
    "╗": "┓",
    "╚": "┗",
    "╝": "┛",
    "╠": "┣",
    "╣": "┫",
    "╦": "┳",
    "╩": "┻",
    "╬": "╋",
    # Blocks: partial blocks become the half block on the same side, so a border or a
    # scrollbar drawn with the foreground on that side keeps its shape.
    "▄": "▁▂▃▅▆▖▗",
    "█": "▇▉▙▛▜▟",
    "▌": "▏▎▍▋▊",
    "▐": "▕",
    "▀": "▔▘▝",
    "▒": "▚▞",
    # Symbols: each status badge keeps a glyph of its own (see tui.ui.render.GLYPHS).
    "√": "✔✓",  # succeeded
    "X": "✘✗",  # failed
    "°": "◷",  # queued
    "»": "⇢›❯",  # dispatching
    ">": "▶►▸→",  # running, active; fold arrows
    "<": "◀◄◂←‹",
    "^": "▲▴↑",
    "v": "▼▾↓",
    "Φ": "⊘",  # cancelling: a circle struck through
    "Θ": "⊖",  # cancelled: a circle with a bar
    "τ": "⧗",  # timed out: t for time
    "*": "●◉◆★",
    "o": "○◯◦",
    "∙": "•⋅",
    "x": "×",
    "~": "…",  # cut text, as under --ascii: not a full stop
    "'": "‘’′",
    '"': "“”″",
}
LINUX_TABLE: dict[str, str] = {
    char: glyph for glyph, chars in _LINUX_GROUPS.items() for char in chars
}
LINUX_TABLE["🔎"] = "»"  # the command palette's search icon (two cells: padded with a space)


def is_linux_console(env: Mapping[str, str]) -> bool:
    """Whether ``env`` says the terminal is the Linux console (``TERM=linux``, ``linux-*``)."""
    term = env.get("TERM", "")
    return term == "linux" or term.startswith("linux-")


@lru_cache(maxsize=4096)
def to_ascii(text: str) -> str:
    """``text`` in printable ASCII with the same cell width."""
    if text.isascii():
        return text
    out: list[str] = []
    for char in text:
        if char.isascii():
            out.append(char)
            continue
        width = cell_len(char)
        if width == 0:
            continue
        mapped = TABLE.get(char)
        if mapped is None:
            decomposed = unicodedata.normalize("NFKD", char)
            base = "".join(c for c in decomposed if c.isascii() and c.isprintable())
            mapped = base[:1] if base else "?"
        out.append(mapped.ljust(width, mapped[:1]) if width > 1 else mapped)
    return "".join(out)


@lru_cache(maxsize=4096)
def to_linux_console(text: str) -> str:
    """``text`` in glyphs every Linux console font has, with the same cell width."""
    if text.isascii():
        return text
    out: list[str] = []
    for char in text:
        if char in LINUX_CONSOLE_CHARS:
            out.append(char)
            continue
        mapped = LINUX_TABLE.get(char)
        if mapped is None:
            out.append(to_ascii(char))  # already the right width (empty for zero-width)
            continue
        width = cell_len(char)
        if width:
            out.append(mapped.ljust(width))
    return "".join(out)


class GlyphFilter(LineFilter):
    """Replace the glyphs of every frame with ``translate``'s, keeping widths and styles."""

    def __init__(self, translate: Callable[[str], str], enabled: bool = True) -> None:
        super().__init__(enabled=enabled)
        self.translate = translate

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        translate = self.translate
        return [
            Segment(translate(text), style, control)
            if not control
            else Segment(text, style, control)
            for text, style, control in segments
        ]

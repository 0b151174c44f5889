# ruff: noqa: RUF001  (look-alike characters are the point of this table)
"""``--ascii``: every glyph on screen becomes ASCII, cell widths unchanged.

A Textual line filter (the mechanism Textual uses for NO_COLOR) transliterates the
composed frame, so borders, scrollbars, progress bars, the footer and API text are all
covered, not only the widgets that know about ``--ascii``.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from rich.cells import cell_len
from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

_GROUPS: dict[str, str] = {
    "-": "─━┄┅┈┉╌╍═╼╾▁▔‐‑‒–—―−⎯",
    "|": "│┃┆┇┊┋╎╏║╽╿▏▕",
    "+": "┌┍┎┏┐┑┒┓└┕┖┗┘┙┚┛├┝┞┟┠┡┢┣┤┥┦┧┨┩┪┫┬┭┮┯┰┱┲┳┴┵┶┷┸┹┺┻┼┽┾┿╀╁╂╃╄╅╆╇╈╉╊╋"
    "╒╓╔╕╖╗╘╙╚╛╜╝╞╟╠╡╢╣╤╥╦╧╨╩╪╫╬╭╮╯╰",
    "#": "█▉▊▋▌▍▐▀▄▆▇▅▃▂■",
    ":": "░▒▓",
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
TABLE["…"] = "."


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


class AsciiFilter(LineFilter):
    """Replace every non-ASCII glyph in the frame, keeping widths and styles."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        return [
            Segment(to_ascii(text), style, control)
            if not control
            else Segment(text, style, control)
            for text, style, control in segments
        ]

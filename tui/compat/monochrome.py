"""NO_COLOR: Textual's monochrome filter crashes on a segment whose style is None.

``textual.filter.Monochrome.apply`` passes every segment's style to ``monochrome_style``,
which reads ``style.color`` unconditionally (Textual 8.2.8). A segment without a style is
legal Rich (``Text.render`` yields one for text without spans), so any widget producing one
crashed the whole app about a frame after start when ``NO_COLOR`` was set. The other filters
(``ANSIToTruecolor``, ``DimFilter``, ``NoColor``) already pass None through.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.style import Style

_NULL = Style.null()


def _tolerant(original: Callable[[Style], Style]) -> Callable[[Style | None], Style]:
    def monochrome_style(style: Style | None) -> Style:
        """Textual's ``monochrome_style``, treating a missing style as the null style."""
        return original(_NULL if style is None else style)

    monochrome_style.__wrapped__ = original  # type: ignore[attr-defined]
    monochrome_style.runwatch_compat = True  # type: ignore[attr-defined]
    return monochrome_style


def install() -> bool:
    """Make ``textual.filter.monochrome_style`` accept None; False if it is not there."""
    from textual import filter as textual_filter

    current = getattr(textual_filter, "monochrome_style", None)
    if current is None or not callable(current):
        return False  # restructured: the filter no longer looks the function up here
    if getattr(current, "runwatch_compat", False):
        return True
    # Monochrome.apply looks the module global up on every call, so replacing it is enough.
    textual_filter.monochrome_style = _tolerant(current)  # type: ignore[assignment]
    return True

"""An option list that takes the viewer's keys: j/k, g/G, ctrl+d/ctrl+u, page keys."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import BindingType
from textual.widgets import OptionList

from tui.ui.actions import motions


class KeyedOptionList(OptionList):
    """Textual's OptionList with the one key model of every pane."""

    BINDINGS: ClassVar[list[BindingType]] = motions(
        "cursor_down", "cursor_up", "page_down", "page_up", "first", "last"
    )

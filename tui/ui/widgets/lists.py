"""An option list that takes the viewer's keys: j/k, g/G, ctrl+d/ctrl+u, page keys."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import BindingType
from textual.style import Style as VisualStyle
from textual.widgets import OptionList

from tui.ui.actions import motions


class KeyedOptionList(OptionList):
    """Textual's OptionList with the one key model of every pane, and its cursor in reverse
    video (``text-style: reverse`` on ``.option-list--option-highlighted``, styles/app.tcss)."""

    BINDINGS: ClassVar[list[BindingType]] = motions(
        "cursor_down", "cursor_up", "page_down", "page_up", "first", "last"
    )

    def get_visual_style(self, *component_classes: str, partial: bool = False) -> VisualStyle:
        """Textual 8's style of an option keeps bold, dim, italic, underline and strike of its
        component class but drops ``reverse``: the cursor's ``text-style: reverse`` drew
        nothing, and a cursor drawn by reverse video is the one every terminal shows (in 16
        colours, on the Linux console, under NO_COLOR). Here reverse is kept."""
        style = super().get_visual_style(*component_classes, partial=partial)
        reversed_by = (self.get_component_styles(name).text_style for name in component_classes)
        if any(text_style.reverse for text_style in reversed_by):
            style += VisualStyle(reverse=True)
        return style

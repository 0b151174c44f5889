"""``s``: pick the server-side status filter from the server's words (several at once where
the server takes a list), instead of stepping through them one press at a time."""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.strip import Strip
from textual.widgets import Checkbox, SelectionList, Static
from textual.widgets.selection_list import Selection

Statuses = tuple[str, ...]


class TickList(SelectionList[str]):
    """Textual draws a ticked box and an empty one with one glyph (X), told apart by colour
    alone (under NO_COLOR, by a shade of grey): here an empty box is drawn empty."""

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        index = self.scroll_offset.y + y
        if index >= self.option_count or self.get_option_at_index(index).value in self.selected:
            return strip
        segments = list(strip)
        if len(segments) > 1 and segments[1].text == Checkbox.BUTTON_INNER:  # its toggle's X
            segments[1] = Segment(" " * len(segments[1].text), segments[1].style)
            return Strip(segments, strip.cell_length)
        return strip


class StatusPicker(ModalScreen[Statuses | None]):
    """The statuses to show: space toggles one, enter applies, esc cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "cancel", "Cancel"),
        Binding("enter", "apply", "Apply", priority=True),
        Binding("j", "down", show=False),
        Binding("k", "up", show=False),
        Binding("c", "clear", "Clear"),
    ]

    def __init__(self, words: Statuses, chosen: Statuses, *, several: bool) -> None:
        super().__init__()
        self.words = words
        self.chosen = chosen
        self.several = several

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-body"):
            how = "space toggles" if self.several else "space picks one"
            yield Static(Text(f"Show statuses ({how} · enter applies · c clears · esc)"))
            yield Static(self._showing(self.chosen), id="picker-showing")
            yield TickList(
                *[
                    Selection(word.replace("_", " "), word, word in self.chosen)
                    for word in self.words
                ],
                id="picker-list",
            )

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    @on(SelectionList.SelectedChanged)
    def _one_at_a_time(self, event: SelectionList.SelectedChanged[str]) -> None:
        """Where the server filters on one status only, picking one drops the other."""
        selections = event.selection_list
        if not self.several and len(selections.selected) > 1:
            keep = [w for w in selections.selected if w not in self.chosen][-1:]
            selections.deselect_all()
            for word in keep:
                selections.select(word)
        self.chosen = tuple(selections.selected)
        self.query_one("#picker-showing", Static).update(self._showing(self.chosen))

    def _showing(self, chosen: Statuses) -> Text:
        """What applying would show, in words: a tick's look differs from terminal to terminal
        (under NO_COLOR a ticked box and an empty one can look the same)."""
        if not chosen:
            return Text("now: every status (none ticked)", "italic")
        words = [w.replace("_", " ") for w in self.words if w in chosen]
        return Text("now: only " + ", ".join(words), "bold")

    def action_down(self) -> None:
        self.query_one(SelectionList).action_cursor_down()

    def action_up(self) -> None:
        self.query_one(SelectionList).action_cursor_up()

    def action_clear(self) -> None:
        self.query_one(SelectionList).deselect_all()
        self.dismiss(())

    def action_apply(self) -> None:
        selected = self.query_one(SelectionList).selected
        self.dismiss(tuple(word for word in self.words if word in selected))

    def action_cancel(self) -> None:
        self.dismiss(None)

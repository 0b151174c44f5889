"""``s``: pick the server-side status filter from the server's words (several at once where
the server takes a list), instead of stepping through them one press at a time."""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
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
    alone (under NO_COLOR, by a shade of grey): here an empty box is drawn empty. In ASCII
    (``--ascii``, TERM=linux) the box is ``[X]`` / ``[ ]``: its half blocks read as ``# #``
    beside the ``#`` of a border. The highlighted option is in reverse video (Textual marks
    it by a background colour and bold, which NO_COLOR on a console leaves as bold)."""

    def __init__(self, *selections: Selection[str], ascii_only: bool, id: str) -> None:
        super().__init__(*selections, id=id)
        self.ascii_only = ascii_only

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        index = self.scroll_offset.y + y
        if index >= self.option_count:
            return strip
        ticked = self.get_option_at_index(index).value in self.selected
        segments = list(strip)
        if len(segments) < 4 or segments[1].text != Checkbox.BUTTON_INNER:  # its toggle's X
            return strip
        inner = segments[1].text if ticked else " " * len(segments[1].text)
        if self.ascii_only:
            plain = segments[3].style  # the prompt's, with no button colours
            box = [Segment("[", plain), Segment(inner, plain), Segment("]", plain)]
        else:
            box = [segments[0], Segment(inner, segments[1].style), segments[2]]
        prompt = segments[4:]
        if index == self.highlighted:  # in reverse video, as every list's cursor: not colour
            reverse = Style(reverse=True)
            prompt = [Segment(s.text, (s.style or Style()) + reverse) for s in prompt]
        return Strip([*box, segments[3], *prompt], strip.cell_length)


class StatusPicker(ModalScreen[Statuses | None]):
    """The statuses to show: space toggles one, enter applies, esc cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "cancel", "Cancel"),
        Binding("enter", "apply", "Apply", priority=True),
        Binding("j", "down", show=False),
        Binding("k", "up", show=False),
        Binding("c", "clear", "Clear"),
    ]

    def __init__(
        self, words: Statuses, chosen: Statuses, *, several: bool, ascii_only: bool = False
    ) -> None:
        super().__init__()
        self.words = words
        self.chosen = chosen
        self.several = several
        self.ascii_only = ascii_only

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
                ascii_only=self.ascii_only,
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

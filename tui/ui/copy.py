"""The copy menu: pick what to copy; it goes out by OSC 52 and stays selectable on screen."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static, TextArea
from textual.widgets.option_list import Option

from tui.core.text import clean
from tui.ui.widgets.lists import KeyedOptionList

CopyChoice = tuple[str, str]  # label, text


class CopyScreen(ModalScreen[str | None]):
    """A menu of things to copy with a read-only, selectable preview (the OSC 52 fallback).

    Enter copies the highlighted choice with OSC 52 (works through SSH and tmux); the text
    stays in the preview so it can be selected by hand where OSC 52 is not honoured.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close"),
        Binding("y", "copy_highlighted", "Copy", show=False),
    ]

    def __init__(self, choices: list[CopyChoice], *, title: str = "Copy", copy_first: bool = False):
        super().__init__()
        self.choices = [
            (clean(label, limit=80), clean(text, multiline=True)) for label, text in choices
        ]
        self.title_text = title
        self.copy_first = copy_first
        self.copied: str | None = None
        self.copied_label = ""

    def compose(self) -> ComposeResult:
        with Vertical(id="copy-body"):
            yield Static(Text(self.title_text), id="copy-title")
            yield KeyedOptionList(
                *[Option(Text(label), id=str(i)) for i, (label, _) in enumerate(self.choices)],
                id="copy-options",
            )
            yield TextArea(
                self.choices[0][1] if self.choices else "",
                read_only=True,
                soft_wrap=True,
                show_line_numbers=False,
                id="copy-preview",
            )
            yield Static(
                Text("enter copies (OSC 52) · or select the text above · esc closes"),
                id="copy-hint",
            )

    def on_mount(self) -> None:
        found = self.query(OptionList)
        if not found:
            return  # pushed as the app exits (Textual then mounts no children): nothing to do
        options = found.first()
        options.highlighted = 0
        options.focus()
        if self.copy_first and self.choices:
            self._copy(0)

    @on(OptionList.OptionHighlighted, "#copy-options")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        index = event.option_index
        if 0 <= index < len(self.choices):
            self.query_one("#copy-preview", TextArea).load_text(self.choices[index][1])

    @on(OptionList.OptionSelected, "#copy-options")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._copy(event.option_index)

    def action_copy_highlighted(self) -> None:
        highlighted = self.query_one(OptionList).highlighted
        if highlighted is not None:
            self._copy(highlighted)

    def _copy(self, index: int) -> None:
        label, text = self.choices[index]
        self.app.copy_to_clipboard(text)
        self.copied = text
        self.copied_label = label[:1].lower() + label[1:]  # "docs URL", not "docs url"
        self.query_one("#copy-hint", Static).update(
            Text(f"Copied {self.copied_label} (OSC 52). Not in your clipboard? Select it above.")
        )

    def action_close(self) -> None:
        """Close; what the clipboard holds now is said once, in one toast (the hint said
        each copy as it went: a toast would cover the text to select by hand)."""
        if self.copied is not None:
            self.notify(f"Copied {self.copied_label}", markup=False, timeout=3)
        self.dismiss(self.copied)

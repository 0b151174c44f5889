"""One step result in the detail panel; a failed step expands to show its diagnostic."""

from __future__ import annotations

from typing import ClassVar

from rich.console import RenderableType
from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.reactive import reactive
from textual.widget import Widget

from tui.api.models import FailedStep, OkStep
from tui.format import raw_value, safe


class StepItem(Widget, can_focus=True):
    """A step result: ok steps are one line; failed ones show code, message and hint, and
    expand to the full diagnostic (category, expected/received, closest, fixes, docs)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "step--ok",
        "step--failed",
        "step--label",
        "step--code",
        "step--hint",
        "step--command",
        "step--link",
        "step--muted",
    }
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,l", "expand", "Expand", show=False),
        Binding("h", "collapse", "Collapse", show=False),
    ]

    expanded: reactive[bool] = reactive(False, layout=True)

    def __init__(
        self,
        step: OkStep | FailedStep,
        *,
        ascii_only: bool = False,
        expanded: bool = False,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.step = step
        self.ascii_only = ascii_only
        self.set_reactive(StepItem.expanded, expanded)
        self.set_class(isinstance(step, FailedStep), "-failed")

    @property
    def failed(self) -> bool:
        return isinstance(self.step, FailedStep)

    @property
    def docs_url(self) -> str | None:
        """The diagnostic's docs URL when it is an http(s) link (sanitised)."""
        if not isinstance(self.step, FailedStep) or self.step.error.diagnostic is None:
            return None
        url = safe(self.step.error.diagnostic.docs_url or "", limit=300)
        return url if url.startswith(("https://", "http://")) else None

    def action_expand(self) -> None:
        """Expand a failed step (a second press collapses it)."""
        if self.failed:
            self.expanded = not self.expanded

    def action_collapse(self) -> None:
        if self.expanded:
            self.expanded = False

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(name, partial=True)

    def render(self) -> RenderableType:
        step = self.step
        out = Text(no_wrap=False, overflow="fold")
        if isinstance(step, OkStep):
            glyph = "ok" if self.ascii_only else "✔"
            out.append(f"{glyph} ", self._style("step--ok"))
            out.append(f"#{step.index + 1} ", self._style("step--muted"))
            out.append(safe(step.call, limit=80))
            out.append(f"  → {safe(step.resolved.target, limit=60)}", self._style("step--muted"))
            return out
        error = step.error
        arrow = (
            ("v " if self.expanded else "> ")
            if self.ascii_only
            else ("▾ " if self.expanded else "▸ ")
        )
        out.append(arrow, self._style("step--muted"))
        out.append(("XX " if self.ascii_only else "✘ "), self._style("step--failed"))
        out.append(f"#{step.index + 1} ", self._style("step--muted"))
        out.append(safe(step.call, limit=80))
        out.append("  ")
        out.append(safe(raw_value(error.code), limit=40), self._style("step--code"))
        out.append("\n    ")
        out.append(safe(error.message, multiline=False, limit=2000))
        if error.hint:
            out.append("\n    hint: ", self._style("step--label"))
            out.append(safe(error.hint, limit=500), self._style("step--hint"))
        if not self.expanded:
            if error.diagnostic is not None:
                out.append("\n    (enter: diagnostic)", self._style("step--muted"))
            return out
        diag = error.diagnostic
        if diag is None:
            out.append(
                "\n    No diagnostic details were returned by the API.", self._style("step--muted")
            )
            return out

        def field(label: str, value: object) -> None:
            if value is None or value == "" or value == []:
                return
            out.append(f"\n    {label:<13}", self._style("step--label"))
            out.append(safe(value, limit=1000))

        field("category", raw_value(diag.category) if diag.category is not None else None)
        field("code", diag.code)
        field("call", diag.call)
        field("expected", diag.expected)
        field("received", diag.received)
        if diag.closest:
            field("did you mean", ", ".join(safe(c, limit=80) for c in diag.closest[:10]))
        if diag.fixes:
            out.append("\n    fixes", self._style("step--label"))
            for number, fix in enumerate(diag.fixes[:10], start=1):
                out.append(f"\n      {number}. ")
                out.append(safe(fix.title, limit=200))
                if fix.command:
                    out.append("\n         $ ", self._style("step--muted"))
                    out.append(safe(fix.command, limit=500), self._style("step--command"))
                if fix.example:
                    out.append("\n         e.g. ", self._style("step--muted"))
                    out.append(safe(fix.example, limit=500), self._style("step--command"))
        field("driver", diag.driver)
        if diag.docs_url:
            url = safe(diag.docs_url, limit=300)
            out.append(f"\n    {'docs':<13}", self._style("step--label"))
            link = self._style("step--link")
            if url.startswith(("https://", "http://")):
                link = link + Style(link=url)
            out.append(url, link)
        field("diagnostic", diag.id)
        return out

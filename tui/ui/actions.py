"""The one table of what the user can do: key bindings, the footer, ``?`` help and the
command palette are all generated from :data:`ACTIONS`, never kept by hand."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding, BindingType


@dataclass(frozen=True)
class Action:
    """One thing the user can do, and every place it is shown."""

    keys: str
    """Textual key names, comma separated."""
    shown_keys: str
    """The keys as help shows them."""
    help: str
    action: str | None = None
    """The screen's action; None for keys a widget handles itself (shown in help only)."""
    footer: str | None = None
    """The footer's label; None keeps it out of the footer."""
    palette: str | None = None
    """The command palette's title; None keeps it out of the palette."""


ACTIONS: tuple[Action, ...] = (
    Action("j,k,down,up", "j / k, ↓ / ↑", "move the cursor (the detail and log scroll)"),
    Action("g,G,home,end", "g / G", "top / bottom (G in a log: follow new lines again)"),
    Action("pageup,pagedown", "pgup/pgdn ^u/^d", "a page up / down"),
    Action("tab", "tab / shift+tab", "next / previous pane", "next_pane", None, "Next pane"),
    Action("shift+tab", "", "", "previous_pane", None, "Previous pane"),
    Action("l", "enter / l", "drill in (group → rows → detail), or expand a failed step", "drill"),
    Action("escape,h", "esc / h", "back one level, or collapse", "back", None, "Back"),
    Action(
        "n",
        "n / N",
        "next / previous failed or timed-out row, in the order they happened; in the group"
        " list the next group with failures, in the detail the next failed step",
        "next_failure",
        "Next fail",
        "Next failure",
    ),
    Action("N", "", "", "previous_failure", None, "Previous failure"),
    Action("F", "F", "failures only (server side)", "failures_only", "Failures", "Failures only"),
    Action(
        "E",
        "E",
        "failures grouped by cause: counts, when, the fix",
        "errors",
        "Errors",
        "Failures grouped",
    ),
    Action(
        "z", "z", "zoom the focused pane to the full screen, and back", "zoom", None, "Zoom pane"
    ),
    Action(
        "colon",
        ":",
        "jump: :run 121a, :inv 5e4d (:tc on tool calls), :failed, or an id's first characters",
        "start_jump",
        None,
        "Jump to…",
    ),
    Action("O", "O", "newest or oldest row first", "flip_order", None, "Flip the order"),
    Action(
        "b",
        "b",
        "incident bundle: the group, its failures, timeline and curl, as one Markdown file",
        "bundle",
        None,
        "Write an incident bundle",
    ),
    Action(
        "w",
        "w",
        "keep the group: a recording with all its records, for runwatch replay",
        "keep",
        None,
        "Keep this run (recording)",
    ),
    Action(
        "t",
        "t",
        "timeline: the rows as a waterfall (queue, run, now, critical path), and back",
        "timeline",
        "Timeline",
        "Timeline",
    ),
    Action(
        "f",
        "f",
        "follow new rows: the cursor moves to each one (tail -f)",
        "tail",
        None,
        "Follow new rows",
    ),
    Action(
        "s",
        "s",
        "pick the statuses to show (server side)",
        "pick_status",
        "Status",
        "Pick status filter",
    ),
    Action(
        "a",
        "a",
        "cycle the action filter (server side)",
        "cycle_action",
        "Action",
        "Cycle action filter",
    ),
    Action(
        "slash",
        "/",
        "filter the table by text (takes every key; esc clears)",
        "start_filter",
        "Filter",
        "Filter by text",
    ),
    Action(
        "e",
        "e",
        "expand every failed step's diagnostic",
        "expand_all",
        None,
        "Expand all diagnostics",
    ),
    Action(
        "y",
        "y",
        "copy menu: id, error, JSON, log, curl (OSC 52 + selectable text)",
        "copy_menu",
        None,
        "Copy…",
    ),
    Action(
        "o",
        "o",
        "open the diagnostic's docs link (or show and copy it)",
        "open_docs",
        None,
        "Open docs link",
    ),
    Action(
        "P",
        "P",
        "pin / unpin the selected group at the top (remembered)",
        "toggle_pin",
        None,
        "Pin or unpin",
    ),
    Action(
        "p",
        "p",
        "pause / resume polling (PAUSED; data age keeps counting)",
        "toggle_pause",
        "Pause",
        "Pause or resume",
    ),
    Action(
        "plus,equals_sign",
        "+ / -",
        "longer / shorter refresh interval",
        "slower",
        None,
        "Longer interval",
    ),
    Action("minus", "", "", "faster", None, "Shorter interval"),
    Action("r", "r", "refresh now (resets the backoff)", "refresh_now", "Refresh", "Refresh now"),
    Action("ctrl+p", "ctrl+p", "command palette: every action"),
    Action("question_mark", "?", "this help"),
    Action("q", "q", "quit"),
)


MOTION_KEYS = ("down,j", "up,k", "pagedown,ctrl+d", "pageup,ctrl+u", "home,g", "end,G")


def motions(*actions: str) -> list[BindingType]:
    """The one key model of every pane (down, up, a page down, a page up, top, bottom: j/k,
    ctrl+d/ctrl+u, g/G and the named keys), bound to a widget's ``actions`` in that order."""
    return [Binding(k, a, show=False) for k, a in zip(MOTION_KEYS, actions, strict=True)]


def bindings(actions: tuple[Action, ...] = ACTIONS) -> list[Binding]:
    """The screen's bindings (or an app's own ``actions``'), in footer order."""
    return [
        Binding(
            action.keys,
            action.action,
            action.footer or action.help,
            show=action.footer is not None,
            key_display="n/N" if action.action == "next_failure" else None,
        )
        for action in actions
        if action.action is not None
    ]


def help_rows(actions: tuple[Action, ...] = ACTIONS) -> list[tuple[str, str]]:
    """``(keys, what they do)`` for ``?``."""
    return [(action.shown_keys, action.help) for action in actions if action.shown_keys]


def palette() -> list[tuple[str, str, str]]:
    """``(title, help, action)`` for the command palette."""
    return [
        (action.palette, f"{action.help} ({action.shown_keys or action.keys})", action.action)
        for action in ACTIONS
        if action.palette is not None and action.action is not None
    ]

"""The three Textual leaks the ten-minute soak found stay fixed (see tui/compat/leaks.py).

Each test also shows the leak without the fix, so it cannot pass by accident.
"""

from __future__ import annotations

import gc
import weakref

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.color import Color
from textual.screen import ModalScreen
from textual.widgets import Button, TextArea
from textual.widgets import Footer as TextualFooter
from textual.widgets._footer import FooterKey

from tui.compat.footer import Footer
from tui.compat.leaks import patch_styles_cache, prune_closed_watchers


class A(Button):
    BINDINGS = [Binding("x", "noop", "Ex")]


class B(Button):
    BINDINGS = [Binding("z", "noop", "Zed")]


def _footer_app(footer: type[TextualFooter]) -> App[None]:
    class FooterApp(App[None]):
        def compose(self) -> ComposeResult:
            yield A("a", id="a")
            yield B("b", id="b")
            yield footer()

    return FooterApp()


def _detached(kind: type) -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if type(o) is kind and not o.is_attached)


async def _detached_keys_after_focus_changes(footer: type[TextualFooter]) -> int:
    """Move focus back and forth (each change recomposes the footer); count dead keys
    (beyond those already dead: an earlier test's app can outlive it in a context var)."""
    gc.collect()
    old = [o for o in gc.get_objects() if type(o) is FooterKey]  # held: no id is reused
    before = {id(o) for o in old}
    app = _footer_app(footer)
    async with app.run_test() as pilot:
        for _ in range(8):
            app.query_one("#a").focus()
            await pilot.pause(0.05)
            app.query_one("#b").focus()
            await pilot.pause(0.05)
        gc.collect()
        return sum(
            1
            for o in gc.get_objects()
            if type(o) is FooterKey and not o.is_attached and id(o) not in before
        )


async def test_footer_releases_its_old_keys() -> None:
    # Textual's own footer keeps every removed key alive...
    assert await _detached_keys_after_focus_changes(TextualFooter) > 8
    gc.collect()
    # ...runwatch's does not.
    assert await _detached_keys_after_focus_changes(Footer) == 0


class Preview(ModalScreen[None]):
    def compose(self) -> ComposeResult:
        yield TextArea("preview")


async def test_closed_text_areas_are_released_from_the_theme_watchers() -> None:
    app: App[None] = App()
    async with app.run_test() as pilot:
        for _ in range(4):
            await app.push_screen(Preview())
            await pilot.pause(0.05)
            app.pop_screen()
            await pilot.pause(0.05)
        assert _detached(TextArea) == 4, "without pruning, the theme watchers keep them"
        assert prune_closed_watchers(app) == 4
        assert _detached(TextArea) == 0


def test_styles_cache_colours_are_cached_by_colour_only() -> None:
    from textual._styles_cache import StylesCache

    assert patch_styles_cache() and patch_styles_cache(), "applies, and only once"
    base, background = Color(1, 2, 3), Color(4, 5, 6)
    cache = StylesCache()
    first = cache.get_inner_outer(base, background)
    alive = weakref.ref(cache)
    del cache
    gc.collect()
    assert alive() is None, "the colour cache keeps no StylesCache (nor its widget) alive"
    assert StylesCache().get_inner_outer(base, background) is first, "cached by the colours"

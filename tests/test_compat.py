"""Every Textual workaround is applied once, from one place, and only where it was checked:
when Textual is upgraded, this fails until each one is looked at again."""

from __future__ import annotations

from importlib.metadata import version

import pytest
from rich.style import Style

from tui import compat


def test_textual_is_pinned_exactly() -> None:
    from pathlib import Path

    pyproject = (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text()
    assert f'"textual=={version("textual")}"' in pyproject


def test_every_patch_applies_to_the_pinned_textual() -> None:
    applied = compat.apply()
    assert set(applied) == {patch.name for patch in compat.PATCHES}
    missing = [name for name, ok in applied.items() if not ok]
    assert not missing, (
        f"Textual {version('textual')}: these workarounds no longer apply: {missing}. "
        "Check whether each is still needed, then update tui/compat."
    )
    assert compat.apply() == applied, "applying twice changes nothing"


@pytest.mark.parametrize("patch", compat.PATCHES, ids=lambda p: p.name)
def test_a_patch_is_skipped_outside_the_versions_it_was_checked_on(patch: compat.Patch) -> None:
    assert patch.applies_to(compat.TEXTUAL_VERSION)
    assert not patch.applies_to(patch.until)
    assert not patch.applies_to((patch.since[0] - 1,))


def test_version_parsing() -> None:
    assert compat.parse_version("8.2.8") == (8, 2, 8)
    assert compat.parse_version("9.0.0rc1") == (9, 0, 0)
    assert compat.parse_version("10") == (10,)


def test_the_monochrome_filter_tolerates_unstyled_segments() -> None:
    from textual import filter as textual_filter

    compat.apply()
    assert textual_filter.monochrome_style(None) == textual_filter.monochrome_style(Style.null())


def test_the_styles_cache_is_keyed_by_colour() -> None:
    from textual._styles_cache import StylesCache
    from textual.color import Color

    compat.apply()
    a = StylesCache.get_inner_outer(object(), Color(1, 2, 3), Color(4, 5, 6))
    b = StylesCache.get_inner_outer(object(), Color(1, 2, 3), Color(4, 5, 6))
    assert a is b, "two widgets share the cached styles: neither is kept alive by the cache"

"""What the sources share beyond :class:`~tui.providers.http.HttpSource`: why a row failed, as
the provider's models read it from the row and its detail's body, and what ``y`` offers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from tui.core.failures import Cause
from tui.core.model import Copy, Detail, Row
from tui.providers.http import ClientT, HttpSource, curl_command, pretty_json


class ModelSource(HttpSource[ClientT]):
    """A source whose models explain its rows (``causes``, ``explains``)."""

    noun: ClassVar[str] = "Invocation"
    """A row, as the copy menu names it."""
    reason: ClassVar[str] = "Error text"
    """What the copy menu calls why a row failed."""
    causes: ClassVar[Callable[[Row, Any], Cause]]
    explains: ClassVar[Callable[[Row, Any], list[str]]]

    def cause(self, row: Row, detail: Detail | None) -> Cause:
        return type(self).causes(row, detail.body if detail is not None else None)

    def explain(self, row: Row, detail: Detail | None) -> list[str]:
        return type(self).explains(row, detail.body if detail is not None else None)

    def curl(self, label: str, path: str, **options: str) -> Copy:
        """A curl command for ``path`` below the base URL (the key named, never valued)."""
        return Copy(label, curl_command(self.base_url + path, self.key_env, **options))

    def row_copies(self, row: Row, detail: Detail | None, path: str) -> list[Copy]:
        """A row's id, why it failed, its JSON and a curl command for ``path`` (its own)."""
        copies = [Copy(f"{self.noun} id", row.key)]
        if why := self.explain(row, detail):
            copies.append(Copy(self.reason, "\n".join(why)))
        raw = detail.raw if detail is not None else None
        copies.append(Copy(f"{self.noun} as JSON", pretty_json(raw, row.raw or {"id": row.key})))
        return [*copies, self.curl(f"curl for this {self.noun.lower()}", path)]

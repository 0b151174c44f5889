"""The API key, held so that it never shows in a repr, a log line or a traceback."""

from __future__ import annotations

from collections.abc import Generator

import httpx


class ApiKey:
    """An API key whose repr and str are masked; only :meth:`reveal` gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The key itself: call only where a request header is built."""
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "ApiKey('********')"

    __str__ = __repr__

    def redact(self, text: str) -> str:
        """``text`` with every occurrence of the key replaced by a mask."""
        if self._value and len(self._value) >= 4 and self._value in text:
            return text.replace(self._value, "********")
        return text

    def __reduce__(self) -> tuple[type[ApiKey], tuple[str]]:
        raise TypeError("ApiKey cannot be pickled")


class BearerAuth(httpx.Auth):
    """Adds ``Authorization: Bearer <key>`` at send time; the key stays inside :class:`ApiKey`."""

    def __init__(self, key: ApiKey) -> None:
        self._key = key

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._key:
            request.headers["Authorization"] = "Bearer " + self._key.reveal()
        yield request

    def __repr__(self) -> str:
        return "BearerAuth(********)"

"""One exception family for every failure a source can report, whatever its transport."""

from __future__ import annotations

from tui.core.text import clean


class ApiError(Exception):
    """Base of every error the client raises; never wraps a raw httpx or pydantic exception.

    Messages are built from server text that the client has already redacted, so ``str(err)``
    is safe to show and log.
    """

    kind = "error"
    retryable = False
    headline: str | None = None  # what a user reads first; None: the kind in words

    def __init_subclass__(
        cls, *, kind: str, retryable: bool | None = None, headline: str | None = None
    ) -> None:
        """Each kind of error says its kind; whether it is retried, and its headline, are
        inherited unless it says otherwise."""
        super().__init_subclass__()
        cls.kind = kind
        if retryable is not None:
            cls.retryable = retryable
        if headline is not None:
            cls.headline = headline

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        hint: str | None = None,
        reason_class: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.hint = hint
        self.reason_class = reason_class
        self.request_id = request_id
        self.retry_after = retry_after
        self.method = method
        self.path = path

    def __str__(self) -> str:
        status = f"HTTP {self.status}" if self.status is not None else None
        code = f"[{self.code}]" if self.code else None
        request = f"(request {self.request_id})" if self.request_id else None
        return " ".join(p for p in (status, self.message, code, request) if p is not None)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"

    def describe(self, *, short: bool = False, limit: int = 300) -> str:
        """One display-safe line for people: headline, status, code, (message, hint,) request.

        The viewer's panes and ``runwatch watch`` both say errors this way.
        """
        status = f"HTTP {self.status}" if self.status is not None else None
        said = [] if short else [self.message, f"hint: {self.hint}" if self.hint else None]
        request = f"request {self.request_id}" if self.request_id else None
        parts = [self.headline or self.kind.replace("_", " "), status, self.code or None]
        parts += [*said, request]
        return clean(" · ".join(p for p in parts if p is not None), limit=limit)


class HttpStatusError(ApiError, kind="http"):
    """The server answered with an error status."""


class BadRequest(HttpStatusError, kind="bad_request"):
    """400 or 422: the server refused the request as it was sent."""


class Unauthorized(HttpStatusError, kind="unauthorized", headline="API key rejected"):
    """401: the key is missing or rejected."""


class Forbidden(HttpStatusError, kind="forbidden", headline="not allowed"):
    """403: the key may not see this resource."""


class NotFound(HttpStatusError, kind="not_found", headline="not found"):
    """404: the resource (or the endpoint) does not exist here."""


class NoMatch(NotFound, kind="not_found", headline="not found"):
    """No record has this id, and the source also looked for it as the start of one (none,
    or several, matched): nothing further to look up."""


class RateLimited(HttpStatusError, kind="rate_limited", headline="rate limited", retryable=True):
    """429: wait ``retry_after`` seconds before asking again."""


class ServerError(HttpStatusError, kind="server", retryable=True):
    """5xx, or 408: the server failed; worth retrying."""


class TransportError(ApiError, kind="transport", retryable=True):
    """No usable HTTP exchange happened."""


class Unreachable(TransportError, kind="unreachable"):
    """Connection refused, DNS failure: no connection was made."""


class ConnectionDropped(TransportError, kind="connection_dropped"):
    """The connection closed or broke in the middle of an exchange."""


class ApiTimeout(TransportError, kind="timeout"):
    """The request took longer than its timeout."""


class MalformedResponse(ApiError, kind="malformed", retryable=True):
    """The body was not the JSON the contract promises (bad JSON, HTML page, schema mismatch)."""


class TooLarge(MalformedResponse, kind="too_large", headline="response too large"):
    """The body (or a stream line) passed the size limit and was cut off."""


class Unexpected(ApiError, kind="internal", headline="internal error", retryable=True):
    """Anything else that went wrong while fetching: a bug, said as a fault and retried."""


class ConfigError(ApiError, kind="config"):
    """The client was configured wrongly (e.g. an invalid base URL)."""


class Unsupported(ApiError, kind="unsupported", headline="not served here"):
    """The server does not offer this (an endpoint beyond the contract answered 404)."""

    @classmethod
    def beyond_contract(cls, error: NotFound, what: str) -> Unsupported:
        """What a 404 from an endpoint beyond the contract means: the server has no such
        endpoint (``what``), or, in a replay, the recording holds no answer for it (said in
        the replay's words, not as a server without a list)."""
        return cls(error.message if error.code == NOT_RECORDED else what)


NOT_RECORDED = "not_recorded"
"""The code of a replay's answer to a request its recording does not hold."""

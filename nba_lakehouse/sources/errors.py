"""Errors raised by the NBA sources. Each names the endpoint and the parameters it was about.

``redact`` masks credentials in any text the sources hand out; every error message goes through it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# The user-info part of a URL (``https://user:password@host``), up to the host: it cannot hold an
# unencoded "/", "?", "#" or whitespace, and the last "@" ends it.
_URL_CREDENTIALS = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^\s/?#]*@")
MASK = "***"


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with URL credentials and each of ``secrets`` (header values, a proxy URL) masked."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return _URL_CREDENTIALS.sub(rf"\g<scheme>{MASK}@", text)


class NBASourceError(RuntimeError):
    """Base class: a request to an NBA feed did not produce a usable response."""

    def __init__(self, request_label: str, problem: str):
        self.request_label = redact(request_label)
        self.problem = redact(problem)
        super().__init__(f"{self.request_label}: {self.problem}")


class FeedUnavailableError(NBASourceError):
    """The feed has no data for this request (404/403, empty payload, not recorded).

    Callers that can fall back to another feed catch this one; everything else is a failure.
    """


class ReplayMissError(FeedUnavailableError):
    """Replay mode was asked for a response that is not recorded."""


class EmptyResponseError(FeedUnavailableError):
    """The server answered, but with no data: ``{}``, empty result sets, an empty body."""


class ErrorPayloadError(NBASourceError):
    """The server answered with an error document (HTML page, ``{"Message": ...}``, not JSON)."""


class UnusablePayloadError(ErrorPayloadError):
    """A JSON answer that is not a usable response of its endpoint: a required field, column or
    result set missing or mistyped, a row of the wrong width, a completed game's play-by-play cut
    short, a body that is not UTF-8 or not decodable. Never archived; a later run asks again."""


class HTTPStatusError(NBASourceError):
    """A non-retryable HTTP status (other than 404/403, which mean the feed has no data)."""


class RequestDeadlineError(NBASourceError):
    """The request, retries included, did not finish within the client's hard deadline."""


class RetriesExhaustedError(NBASourceError):
    """Every attempt failed with a retryable error (timeout, connection error, 429, 5xx)."""

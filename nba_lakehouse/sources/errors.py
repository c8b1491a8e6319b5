"""Errors raised by the NBA sources. Each names the endpoint and the parameters it was about."""

from __future__ import annotations


class NBASourceError(RuntimeError):
    """Base class: a request to an NBA feed did not produce a usable response."""

    def __init__(self, request_label: str, problem: str):
        self.request_label = request_label
        self.problem = problem
        super().__init__(f"{request_label}: {problem}")


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


class HTTPStatusError(NBASourceError):
    """A non-retryable HTTP status (other than 404/403, which mean the feed has no data)."""


class RequestDeadlineError(NBASourceError):
    """The request, retries included, did not finish within the client's hard deadline."""


class RetriesExhaustedError(NBASourceError):
    """Every attempt failed with a retryable error (timeout, connection error, 429, 5xx)."""

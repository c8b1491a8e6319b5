"""Reading NBA payloads from their raw JSON, by dataset name, and refusing empty or error documents.

What a usable response of each endpoint holds is checked in ``validation``."""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from nba_lakehouse.sources.errors import EmptyResponseError, ErrorPayloadError

# A game's status code in every scoreboard and schedule (gameStatus, GAME_STATUS_ID in the V2 feeds).
SCHEDULED, IN_PROGRESS, FINAL = 1, 2, 3


def decode_payload(label: str, text: str) -> dict:
    """Parse a response body; raise a clear error for the NBA's ways of answering with nothing."""
    stripped = text.strip() if text else ""
    if not stripped:
        raise EmptyResponseError(label, "empty response body")
    if stripped.startswith("<"):
        raise ErrorPayloadError(label, f"an HTML/XML error page instead of JSON: {stripped[:120]!r}")
    try:
        payload = json.loads(stripped)
    except ValueError as exc:
        raise ErrorPayloadError(label, f"response is not JSON ({exc}): {stripped[:120]!r}") from None
    if not isinstance(payload, dict):
        raise ErrorPayloadError(label, f"expected a JSON object, got {type(payload).__name__}")
    if not payload:
        raise EmptyResponseError(label, "empty JSON object {}")
    if set(payload) <= {"Message", "message"}:
        raise ErrorPayloadError(label, f"error message from the API: {next(iter(payload.values()))!r}")
    return payload


def _dig(payload: Any, dotted: str) -> Any:
    node = payload
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _result_set_raw(payload: dict, name: str) -> dict:
    sets = payload.get("resultSets", payload.get("resultSet"))
    if isinstance(sets, dict):
        sets = [sets]
    for rs in sets or []:
        if rs.get("name") == name:
            return rs
    found = [rs.get("name") for rs in sets or []]
    raise KeyError(f"result set {name!r} not in response (found {found})")


def result_set(payload: dict, name: str, schema: dict[str, pl.DataType] | None = None) -> pl.DataFrame:
    """A V2 ``resultSets`` entry as a frame, picked by name (never by position)."""
    rs = _result_set_raw(payload, name)
    headers = rs["headers"]
    rows = rs["rowSet"]
    if not rows:
        frame = pl.DataFrame(schema={h: pl.String for h in headers})
    else:
        columns = list(zip(*rows, strict=True))
        frame = pl.DataFrame({h: pl.Series(h, list(col), strict=False) for h, col in zip(headers, columns, strict=True)})
    if schema:
        frame = frame.with_columns(pl.col(c).cast(t, strict=False) for c, t in schema.items() if c in frame.columns)
    return frame


def scoreboard_games(payload: dict) -> list[dict]:
    games = _dig(payload, "scoreboard.games")
    if games is None:
        raise ErrorPayloadError("ScoreboardV3 payload", "no scoreboard.games list")
    return games

"""Reading NBA payloads from their raw JSON, by dataset name, and refusing empty or error documents.

What a usable response of each endpoint holds is checked in ``validation``."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, NamedTuple

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
        # Transposed by zip and typed column by column: faster than polars' row orientation
        # (pl.DataFrame(rows, orient="row") takes 2.5-3.4x as long on a play-by-play or a season's
        # game log) and the only way that types a column as pl.Series(strict=False) does (row
        # orientation writes 0.0 as "0" in a column mixing floats and strings).
        columns = list(zip(*rows, strict=True))
        frame = pl.DataFrame({h: pl.Series(h, list(col), strict=False) for h, col in zip(headers, columns, strict=True)})
    if schema:
        frame = frame.with_columns(pl.col(c).cast(t, strict=False) for c, t in schema.items() if c in frame.columns)
    return frame


class Body(NamedTuple):
    """A response body not yet decoded, with the label ``decode_payload`` names it by."""

    label: str
    body: bytes

    def payload(self) -> dict:
        return decode_payload(self.label, self.body.decode("utf-8"))


_JSON_WHITESPACE = b" \t\r\n"
_UTF8_BOM = b"\xef\xbb\xbf"
# A surrogate pair's first half: alone, polars reads it as NUL where json.loads keeps it (and
# from_dicts raises). Bodies rarely hold any escape, so a scan for a backslash goes first: one
# byte is found by memchr, ~9x faster over a season's bodies than a search for backslash-u.
_HIGH_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abAB]")


def records_frame(body: bytes, schema: Mapping[str, Any], path: tuple[str, ...]) -> pl.DataFrame | None:
    """The list of JSON objects at ``path`` (object keys, at least one) of ``body`` as a frame of
    ``schema``, read by polars' JSON reader, about 2-3x faster than ``json.loads`` plus
    ``pl.from_dicts(..., schema=schema)``, which builds the same frame.

    None whenever that frame could differ from ``pl.from_dicts(<the list>, schema=schema)`` of the
    body's ``json.loads`` or the body is not one ``decode_payload`` accepts: not an object, a byte
    order mark, invalid JSON or JSON polars reads and ``json.loads`` does not (or the reverse: NaN, 1e400, a number in a string), nothing at
    ``path``, an integer beyond Int64 (polars would make it null where ``from_dicts`` raises), a
    surrogate escape (alone, polars makes it NUL where ``from_dicts`` raises; a pair takes the
    slow path too), and always for a schema with a list or struct field (polars makes a string a
    one-item list and a list mixing strings and numbers a list of strings, where ``from_dicts``
    gives null or raises: so the CDN's ``qualifiers`` keep the CDN feed on the slow path). The
    caller then takes the ``json.loads`` path, with its errors and messages. Not checked: an object
    repeating a key (polars keeps the first value, ``json.loads`` the last) and an integer beyond
    Int128 (polars makes it null, ``from_dicts`` raises); no NBA feed has either.
    """
    if any(t.is_nested() for t in schema.values()):
        return None
    first = body.lstrip(_JSON_WHITESPACE)[:1]
    if first != b"{" or body.startswith(_UTF8_BOM):
        return None
    if b"\\" in body and _HIGH_SURROGATE_ESCAPE.search(body):
        return None
    # Integers are read 128 bits wide so that one beyond Int64 fails the strict cast below.
    wide = {c: pl.Int128 if t == pl.Int64 else t for c, t in schema.items()}
    nested: Any = pl.List(pl.Struct(wide))
    for key in reversed(path[1:]):
        nested = pl.Struct({key: nested})
    try:
        column = pl.read_json(body, schema={path[0]: nested}).get_column(path[0])
        for key in path[1:]:
            column = column.struct.field(key)
        if column.len() != 1 or column.null_count():
            return None
        # Column by column: a frame's cast is a query of its own, ~2.5x the cost on a game's rows.
        frame = pl.DataFrame([
            s.cast(pl.Int64, strict=True) if schema[s.name] == pl.Int64 else s
            for s in column[0].struct.unnest().iter_columns()
        ])
    except Exception:  # anything polars cannot read goes the json.loads way
        return None
    return frame


def scoreboard_games(payload: dict) -> list[dict]:
    games = _dig(payload, "scoreboard.games")
    if games is None:
        raise ErrorPayloadError("ScoreboardV3 payload", "no scoreboard.games list")
    return games

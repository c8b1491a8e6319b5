"""The fast raw-frame parsers build the frame the plain Python way builds, on every recorded response.

The plain way is written out here in a few lines (``json.loads``, then ``pl.from_dicts`` for action
lists or a column-by-column transposition for V2 result sets); bad bodies still get the errors of
``decode_payload``."""

from __future__ import annotations

import json

import polars as pl
import pytest

from nba_lakehouse.silver.play_by_play import CDN_RAW_SCHEMA, RAW_FRAMES, V3_RAW_SCHEMA, parse_play_by_play
from nba_lakehouse.sources.errors import NBASourceError
from nba_lakehouse.sources.payloads import Body, decode_payload, records_frame, result_set
from nba_lakehouse_tests.conftest import REPLAY

RESULT_SET_FILES = sorted(p for p in (REPLAY / "stats").rglob("*.json") if "resultSet" in p.read_text()[:2000] or "resultSets" in p.read_text())
ACTION_FILES = {
    "v3": (REPLAY / "stats/playbyplayv3/GameID=0022200552.json", V3_RAW_SCHEMA),
    "cdn": (REPLAY / "cdn/liveData/playbyplay/playbyplay_0022000001.json", CDN_RAW_SCHEMA),
}


def _plain_result_set(rs: dict) -> pl.DataFrame:
    if not rs["rowSet"]:
        return pl.DataFrame(schema={h: pl.String for h in rs["headers"]})
    columns = [[row[i] for row in rs["rowSet"]] for i in range(len(rs["headers"]))]
    return pl.DataFrame({h: pl.Series(h, col, strict=False) for h, col in zip(rs["headers"], columns, strict=True)})


def _sets(payload: dict) -> list[dict]:
    sets = payload.get("resultSets", payload.get("resultSet"))
    return [sets] if isinstance(sets, dict) else sets


def test_every_recorded_result_set_file_is_checked():
    assert len(RESULT_SET_FILES) >= 20
    assert {p.parent.name for p in RESULT_SET_FILES} >= {"playbyplayv2", "boxscoretraditionalv2", "boxscoresummaryv2", "leaguegamelog", "shotchartdetail"}


@pytest.mark.parametrize("path", RESULT_SET_FILES, ids=lambda p: f"{p.parent.name}/{p.name[:40]}")
def test_result_set_frames_equal_the_plain_transposition(path):
    payload = json.loads(path.read_text())
    for rs in _sets(payload):
        frame, plain = result_set(payload, rs["name"]), _plain_result_set(rs)
        assert frame.schema == plain.schema, rs["name"]
        assert frame.equals(plain), rs["name"]


@pytest.mark.parametrize("feed", sorted(ACTION_FILES))
def test_an_undecoded_body_gives_the_frame_of_its_decoded_payload(feed):
    path, schema = ACTION_FILES[feed]
    body = path.read_bytes()
    plain = pl.from_dicts(json.loads(body)["game"]["actions"], schema=schema).with_columns(game_id=pl.lit("g"))
    # The CDN's list field (qualifiers) keeps it on the json.loads path.
    assert (records_frame(body, schema, ("game", "actions")) is not None) == (feed == "v3")
    fast = RAW_FRAMES[feed](Body(str(path), body), "g")
    assert fast.schema == plain.schema
    assert fast.equals(plain)
    assert fast.equals(RAW_FRAMES[feed](decode_payload(str(path), body.decode()), "g"))


ACTION = '{"actionNumber": 1, "clock": "PT12M00.00S", "period": 1, "teamId": 0, "qualifiers": ["x"]}'
# Bodies that polars and json.loads read differently or only one of them reads.
ODD_ACTIONS = {
    "null action": f"[{ACTION}, null]",
    "number action": f"[{ACTION}, 5]",
    "id as digits": '[{"teamId": "12"}]',
    "id as text": '[{"teamId": "abc"}]',
    "id beyond Int64": '[{"teamId": 9223372036854775808}]',
    "id beyond UInt64": '[{"personId": 18446744073709551616}]',
    "float id": '[{"teamId": 2.5}]',
    "bool id": '[{"teamId": true}]',
    "number clock": '[{"clock": 123}]',
    "distance as text": '[{"shotDistance": "1.5"}]',
    "NaN": '[{"shotDistance": NaN}]',
    "1e400": '[{"shotDistance": 1e400}]',
    "lone surrogate": '[{"clock": "a\\ud800b"}]',
    "lone upper-case surrogate": '[{"description": "\\uD800"}]',
    "surrogate pair": '[{"description": "\\ud83d\\ude00"}]',
    "escaped NUL": '[{"description": "a\\u0000"}]',
    "qualifiers not a list": '[{"qualifiers": "x"}]',
    "number qualifier": '[{"qualifiers": [1]}]',
    "trailing comma": f"[{ACTION},]",
    "no actions": "[]",
    "object action list": '{"teamId": 1}',
}
BAD_BODIES = {
    "empty": "",
    "blank": "  \n",
    "html": "<html>blocked</html>",
    "not json": "nope",
    "a list": '[{"game": {"actions": []}}]',
    "empty object": "{}",
    "message": '{"Message": "An error has occurred."}',
    "no game": '{"meta": {}}',
    "null game": '{"game": null}',
    "game not an object": '{"game": [1]}',
    "no actions key": '{"game": {"gameId": "g"}}',
    "trailing data": '{"game": {"actions": []}} x',
    "byte order mark": '\ufeff{"game": {"actions": []}}',
    "nbsp around": '\u00a0{"game": {"actions": []}}\u00a0',
}


def _outcome(build):
    try:
        return build()
    except Exception as exc:  # the same type and message, whichever way it was raised
        return (type(exc).__name__, str(exc))


def _same(a, b) -> bool:
    if isinstance(a, pl.DataFrame) and isinstance(b, pl.DataFrame):
        return a.schema == b.schema and a.equals(b)
    return a == b


@pytest.mark.parametrize("feed", sorted(ACTION_FILES))
@pytest.mark.parametrize("case", [*ODD_ACTIONS, *BAD_BODIES])
def test_odd_and_bad_bodies_give_what_the_decoded_payload_gives(feed, case):
    text = BAD_BODIES[case] if case in BAD_BODIES else '{"meta": {"version": 1}, "game": {"gameId": "g", "actions": ' + ODD_ACTIONS[case] + "}}"
    body = text.encode("utf-8")
    fast = _outcome(lambda: RAW_FRAMES[feed](Body("label", body), "g"))
    plain = _outcome(lambda: RAW_FRAMES[feed](decode_payload("label", body.decode("utf-8")), "g"))
    assert _same(fast, plain), (fast, plain)


def _decode_error(text: str) -> str | None:
    try:
        decode_payload("label", text)
    except NBASourceError as exc:
        return str(exc)
    return None


# The bad bodies decode_payload refuses (the others decode to an unusable payload, covered above).
UNDECODABLE = sorted(case for case, text in BAD_BODIES.items() if _decode_error(text) is not None)


def test_some_bad_bodies_do_not_decode():
    assert len(UNDECODABLE) >= 3


@pytest.mark.parametrize("case", UNDECODABLE)
def test_a_body_that_does_not_decode_is_held_back_with_the_decode_error(case):
    expected = _decode_error(BAD_BODIES[case])
    rows, unusable = parse_play_by_play([(Body("label", BAD_BODIES[case].encode()), "v3", "g")])
    assert rows.is_empty()
    assert unusable.select("game_id", "rule", "detail").rows() == [("g", "unusable_payload", expected)]
    assert expected is not None and "\n" not in expected

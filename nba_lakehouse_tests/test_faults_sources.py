"""Faults at the NBA client: unusable responses are refused before anything is archived.

Every fault starts from a REAL recorded response served by the fake NBA (``fake_nba``) and changes it
in the way the test's docstring states; the live client is the code under test. Expectations are
read off the real recording (the action numbers, the periods), never written down.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json

import pydantic
import pytest

import nba_lakehouse.sources.client as client_module
from nba_lakehouse.resources import build_resources
from nba_lakehouse.sources.client import NBAClient, retry_after_seconds
from nba_lakehouse.sources.errors import (
    EmptyResponseError,
    NBASourceError,
    RequestDeadlineError,
    RetriesExhaustedError,
    UnusablePayloadError,
    redact,
)
from nba_lakehouse_tests.conftest import load_recorded
from nba_lakehouse_tests.fake_nba import edit_bytes, edit_json, lake_snapshot, run_dates, status, with_headers
from nba_lakehouse_tests.test_client_live import PBP_V3_FILE, answer, live_client, serve_file, server  # noqa: F401 (fixture)

GAME_V3, GAME_CDN, GAME_V2 = "0022200552", "0022000001", "0021600270"
PBP_V3 = "/stats/playbyplayv3"
PBP_V2 = "/stats/playbyplayv2"
BOX_V3 = "/stats/boxscoretraditionalv3"
BOX_V2 = "/stats/boxscoretraditionalv2"
SCOREBOARD_V3 = "/stats/scoreboardv3"
PBP_CDN = f"/cdn/liveData/playbyplay/playbyplay_{GAME_CDN}.json"
BOX_CDN = f"/cdn/liveData/boxscore/boxscore_{GAME_CDN}.json"


def _drop_column(result_set: str, column: str):
    """Remove a column (its header and its value in every row) from a V2 result set."""

    def edit(payload):
        (rs,) = [rs for rs in payload["resultSets"] if rs["name"] == result_set]
        at = rs["headers"].index(column)
        rs["headers"].pop(at)
        for row in rs["rowSet"]:
            row.pop(at)

    return edit


def _del(path: str):
    """Delete the key at a dotted path (list indexes as numbers) of the payload."""

    def edit(payload):
        *parents, last = path.split(".")
        node = payload
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        del node[last]

    return edit


V3_ACTION = load_recorded(f"stats/playbyplayv3/GameID={GAME_V3}.json")["game"]["actions"][16]
CDN_ACTION = load_recorded(f"cdn/liveData/playbyplay/playbyplay_{GAME_CDN}.json")["game"]["actions"][40]
V3_PLAYER = load_recorded(f"stats/boxscoretraditionalv3/GameID={GAME_V3}.json")["boxScoreTraditional"]["homeTeam"]["players"][2]
CDN_PLAYER = load_recorded(f"cdn/liveData/boxscore/boxscore_{GAME_CDN}.json")["game"]["awayTeam"]["players"][3]


# ------------------------------------------------------------------------------- required fields
@pytest.mark.parametrize(
    ("path", "edit", "method", "argument", "expected"),
    [
        pytest.param(PBP_V3, _del("game.actions.16.clock"), "play_by_play_v3", GAME_V3,
                     f"game.actions[16] (actionNumber {V3_ACTION['actionNumber']}) has no clock", id="v3-action-clock"),
        pytest.param(PBP_V3, _del("game.actions.16.scoreHome"), "play_by_play_v3", GAME_V3,
                     f"game.actions[16] (actionNumber {V3_ACTION['actionNumber']}) has no scoreHome", id="v3-action-score"),
        pytest.param(PBP_V3, _del("game.actions"), "play_by_play_v3", GAME_V3, "game has no actions", id="v3-actions"),
        pytest.param(PBP_CDN, _del("game.actions.40.period"), "cdn_play_by_play", GAME_CDN,
                     f"game.actions[40] (actionNumber {CDN_ACTION['actionNumber']}) has no period", id="cdn-action-period"),
        pytest.param(BOX_V3, _del("boxScoreTraditional.homeTeam.players.2.personId"), "box_score_traditional_v3", GAME_V3,
                     "boxScoreTraditional.homeTeam.players[2] has no personId", id="v3-box-player-id"),
        pytest.param(BOX_V3, _del("boxScoreTraditional.homeTeam.players.2.statistics.points"), "box_score_traditional_v3",
                     GAME_V3, f"players[2] (personId {V3_PLAYER['personId']}).statistics has no points", id="v3-box-points"),
        pytest.param(BOX_CDN, _del("game.awayTeam.players.3.statistics.minutes"), "cdn_box_score", GAME_CDN,
                     f"players[3] (personId {CDN_PLAYER['personId']}).statistics has no minutes", id="cdn-box-minutes"),
        pytest.param(PBP_V2, _drop_column("PlayByPlay", "PCTIMESTRING"), "play_by_play_v2", GAME_V2,
                     "result set PlayByPlay has no column PCTIMESTRING", id="v2-pbp-clock"),
        pytest.param(BOX_V2, _drop_column("PlayerStats", "PLAYER_ID"), "box_score_traditional_v2", GAME_V2,
                     "result set PlayerStats has no column PLAYER_ID", id="v2-box-player-id"),
        pytest.param(SCOREBOARD_V3, _del("scoreboard.games"), "scoreboard_v3", "2025-11-05",
                     "scoreboard has no games", id="scoreboard-games"),
    ],
)
def test_a_real_response_missing_a_required_field_is_unusable(fake_nba, path, edit, method, argument, expected):
    """The real recording with one field the parsers read deleted (the key, or a V2 column's header
    and values): refused as unusable, naming endpoint, parameters and the field, not retried."""
    fake_nba.fault(path, edit_json(edit), times=None)

    with pytest.raises(UnusablePayloadError) as raised:
        getattr(fake_nba.client(), method)(argument)

    message = str(raised.value)
    assert expected in message, message
    assert argument in message or path.rsplit("/", 1)[-1] in message
    assert len(fake_nba.requests_to(path)) == 1


def test_a_mistyped_field_is_unusable(fake_nba):
    """The real V3 play-by-play with action 16's period written as a string ("1" for 1)."""
    fake_nba.fault(PBP_V3, edit_json(lambda p: p["game"]["actions"][16].update(period=str(V3_ACTION["period"]))))

    where = rf"game.actions\[16\] \(actionNumber {V3_ACTION['actionNumber']}\)"
    with pytest.raises(UnusablePayloadError, match=rf"{where}.period is '{V3_ACTION['period']}', not an integer"):
        fake_nba.client().play_by_play_v3(GAME_V3)


def test_a_v2_row_of_the_wrong_width_is_unusable(fake_nba):
    """The real V2 play-by-play with the last value of row 10 removed."""
    fake_nba.fault(PBP_V2, edit_json(lambda p: p["resultSets"][0]["rowSet"][10].pop()))
    headers = load_recorded(f"stats/playbyplayv2/GameID={GAME_V2}.json")["resultSets"][0]["headers"]

    with pytest.raises(UnusablePayloadError, match=rf"row 10 has {len(headers) - 1} values for {len(headers)} columns"):
        fake_nba.client().play_by_play_v2(GAME_V2)


def test_empty_actions_mean_the_feed_has_no_data_not_an_unusable_answer(fake_nba):
    """The real V3 play-by-play with its actions list emptied: the next feed is asked (feed unavailable)."""
    fake_nba.fault(PBP_V3, edit_json(lambda p: p["game"]["actions"].clear()))

    with pytest.raises(EmptyResponseError, match="game.actions is empty"):
        fake_nba.client().play_by_play_v3(GAME_V3)


# ------------------------------------------------------------------------------- whole games
def _keep_first_half(list_path: tuple[str, ...]):
    def edit(payload):
        node = payload
        for part in list_path[:-1]:
            node = node[part]
        node[list_path[-1]] = node[list_path[-1]][: len(node[list_path[-1]]) // 2]

    return edit


def _truncated_v2(payload):
    (rs,) = [rs for rs in payload["resultSets"] if rs["name"] == "PlayByPlay"]
    rs["rowSet"] = rs["rowSet"][: len(rs["rowSet"]) // 2]


@pytest.mark.parametrize(
    ("path", "edit", "method", "game_id", "recorded", "period_of"),
    [
        pytest.param(PBP_V3, _keep_first_half(("game", "actions")), "play_by_play_v3", GAME_V3,
                     f"stats/playbyplayv3/GameID={GAME_V3}.json", lambda p: [a["period"] for a in p["game"]["actions"]], id="v3"),
        pytest.param(PBP_CDN, _keep_first_half(("game", "actions")), "cdn_play_by_play", GAME_CDN,
                     f"cdn/liveData/playbyplay/playbyplay_{GAME_CDN}.json", lambda p: [a["period"] for a in p["game"]["actions"]], id="cdn"),
        pytest.param(PBP_V2, _truncated_v2, "play_by_play_v2", GAME_V2, f"stats/playbyplayv2/GameID={GAME_V2}.json",
                     lambda p: [r[p["resultSets"][0]["headers"].index("PERIOD")] for r in p["resultSets"][0]["rowSet"]], id="v2"),
    ],
)
def test_a_play_by_play_truncated_to_half_its_actions_is_unusable(fake_nba, path, edit, method, game_id, recorded, period_of):
    """The real play-by-play with only its first half of actions (rows) kept: it stops before the
    end of a period >= 4 and is refused; the message says in which period it stops."""
    payload = load_recorded(recorded)
    edit(payload)
    last_period = max(period_of(payload))
    fake_nba.fault(path, edit_json(edit))

    with pytest.raises(UnusablePayloadError) as raised:
        getattr(fake_nba.client(), method)(game_id)

    assert f"period {last_period}" in str(raised.value) and game_id in str(raised.value)


def test_a_play_by_play_without_its_last_period_end_is_unusable(fake_nba):
    """The real V3 play-by-play with its final action (the end of the last period) removed."""
    actions = load_recorded(f"stats/playbyplayv3/GameID={GAME_V3}.json")["game"]["actions"]
    assert (actions[-1]["actionType"], actions[-1]["subType"]) == ("period", "end")
    fake_nba.fault(PBP_V3, edit_json(lambda p: p["game"]["actions"].pop()))

    with pytest.raises(UnusablePayloadError, match=f"stops in period {actions[-1]['period']} before the period's end"):
        fake_nba.client().play_by_play_v3(GAME_V3)


# ------------------------------------------------------------------------------- drift
def test_an_added_field_is_schema_drift_tolerated_and_reported(fake_nba):
    """The real V3 play-by-play with a field "winProbability" added to every action, and the real
    V2 box score with a column "PACE" added to PlayerStats: both accepted, the bytes as served, the
    new fields reported."""
    fake_nba.fault(PBP_V3, edit_json(lambda p: [a.update(winProbability=0.5) for a in p["game"]["actions"]]))

    def add_column(payload):
        (rs,) = [rs for rs in payload["resultSets"] if rs["name"] == "PlayerStats"]
        rs["headers"].append("PACE")
        for row in rs["rowSet"]:
            row.append(100.0)

    fake_nba.fault(BOX_V2, edit_json(add_column))
    client = fake_nba.client()

    pbp = client.play_by_play_v3(GAME_V3)
    box = client.box_score_traditional_v2(GAME_V2)

    assert pbp.schema_drift == ("new field winProbability in game.actions",)
    assert all(a["winProbability"] == 0.5 for a in pbp.payload["game"]["actions"])
    assert box.schema_drift == ("new column PACE in result set PlayerStats",)
    assert client.play_by_play_v3(GAME_V3).schema_drift == ()  # the real answer has none


def test_every_recording_is_usable_without_drift():
    """Every shipped recording passes its endpoint's validation and declares every field it has."""
    client = NBAClient(mode="replay")
    assert client.play_by_play_v3(GAME_V3).schema_drift == ()
    assert client.cdn_play_by_play(GAME_CDN).schema_drift == ()
    assert client.play_by_play_v2(GAME_V2).schema_drift == ()
    assert client.cdn_box_score(GAME_CDN).schema_drift == ()
    assert client.box_score_traditional_v3(GAME_V3).schema_drift == ()
    assert client.scoreboard_v3("2025-07-15").payload["scoreboard"]["games"] == []  # an empty day is valid


# ------------------------------------------------------------------------------- bytes
def test_the_body_is_the_bytes_the_server_sent(fake_nba):
    """The real V3 play-by-play served with its JSON re-spaced (indent=1, ASCII escapes): the body
    handed out is those bytes, not a re-encoding of the decoded text."""
    sent = json.dumps(json.loads(PBP_V3_FILE.read_bytes()), indent=1).encode()
    fake_nba.fault(PBP_V3, edit_bytes(lambda real: sent))

    assert fake_nba.client().play_by_play_v3(GAME_V3).body == sent


def test_a_body_that_is_not_utf8_is_unusable_naming_the_byte(fake_nba):
    """The real V3 play-by-play with the byte 0xFF inserted after its first 1,000 bytes."""
    fake_nba.fault(PBP_V3, edit_bytes(lambda real: real[:1000] + b"\xff" + real[1000:]), times=None)

    with pytest.raises(UnusablePayloadError, match=r"body is not UTF-8: byte 1000 \(b'\\xff'\)") as raised:
        fake_nba.client().play_by_play_v3(GAME_V3)
    assert GAME_V3 in str(raised.value)


def test_a_gzip_garbage_body_is_retried_as_transport_damage(fake_nba):
    """The real V3 play-by-play (plain JSON) served with ``Content-Encoding: gzip``: it does not
    inflate; asked again, the real answer is accepted; if it persists, the retries run out, named."""
    fake_nba.fault(PBP_V3, with_headers({"Content-Encoding": "gzip"}), times=1)

    assert fake_nba.client().play_by_play_v3(GAME_V3).body == PBP_V3_FILE.read_bytes()
    assert [s.status for s in fake_nba.requests_to(PBP_V3)] == [200, 200]

    fake_nba.fault(PBP_V3, with_headers({"Content-Encoding": "gzip"}), times=None)
    with pytest.raises(RetriesExhaustedError, match="ContentDecodingError.*") as raised:
        fake_nba.client(max_retries=1).play_by_play_v3(GAME_V3)
    assert GAME_V3 in str(raised.value)


# ------------------------------------------------------------------------------- Retry-After
@pytest.fixture
def sleeps(monkeypatch):
    """Record the client's sleeps instead of sleeping (the waits it computed)."""
    slept: list[float] = []
    monkeypatch.setattr(client_module.time, "sleep", slept.append)
    return slept


def test_retry_after_in_seconds_is_the_wait(fake_nba, sleeps):
    """A 429 with ``Retry-After: 7`` before the real answer: the client waits 7 s (its own
    backoff is at most 0.2 s), then asks once more."""
    fake_nba.fault(PBP_V3, status(429, headers={"Retry-After": "7"}))

    assert fake_nba.client().play_by_play_v3(GAME_V3).body == PBP_V3_FILE.read_bytes()

    assert sleeps == [7.0]
    assert [s.status for s in fake_nba.requests_to(PBP_V3)] == [429, 200]


def test_retry_after_as_an_http_date_is_the_wait_until_then(fake_nba, sleeps):
    """A 429 with ``Retry-After`` an HTTP date 20 s ahead: the wait is the time until then (the date
    has whole seconds), then the real answer."""
    until = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=20)
    fake_nba.fault(PBP_V3, status(503, headers={"Retry-After": email.utils.format_datetime(until, usegmt=True)}))

    fake_nba.client().play_by_play_v3(GAME_V3)

    (wait,) = sleeps
    assert 18.0 < wait <= 20.0
    assert [s.status for s in fake_nba.requests_to(PBP_V3)] == [503, 200]


def test_retry_after_beyond_the_deadline_fails_at_once_in_either_form(fake_nba, sleeps):
    """A 429 whose Retry-After (an HTTP date a minute ahead) passes the 30 s deadline: no wait, named."""
    until = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=60)
    fake_nba.fault(PBP_V3, status(429, headers={"Retry-After": email.utils.format_datetime(until, usegmt=True)}))

    with pytest.raises(RequestDeadlineError, match="HTTP 429"):
        fake_nba.client().play_by_play_v3(GAME_V3)
    assert sleeps == [] and len(fake_nba.requests_to(PBP_V3)) == 1


def test_retry_after_parsing():
    now = dt.datetime(2026, 2, 22, 12, 0, 0, tzinfo=dt.UTC)
    assert retry_after_seconds("120", now) == 120.0
    assert retry_after_seconds("Sun, 22 Feb 2026 12:00:30 GMT", now) == 30.0
    assert retry_after_seconds("Sun, 22 Feb 2026 11:00:00 GMT", now) == 0.0  # in the past: no wait
    assert retry_after_seconds("soon", now) is None and retry_after_seconds(None, now) is None


# ------------------------------------------------------------------------------- config
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("connect_timeout_s", 0), ("read_timeout_s", -1), ("deadline_s", 0), ("backoff_base_s", 0),
        ("backoff_max_s", -2), ("min_interval_s", -5), ("jitter_s", -0.1), ("max_retries", -1), ("mode", "fast"),
    ],
)
def test_an_invalid_config_value_is_refused_naming_the_field(field, value):
    with pytest.raises(pydantic.ValidationError) as raised:
        NBAClient(**{"mode": "live", field: value})
    assert field in str(raised.value)


def test_replay_mode_without_the_recordings_is_refused_saying_how_to_set_them(tmp_path):
    missing = tmp_path / "no-replay"
    with pytest.raises(pydantic.ValidationError, match=rf"replay_dir {missing} is not a directory.*NBA_REPLAY_DIR"):
        NBAClient(mode="replay", replay_dir=str(missing))
    with pytest.raises(pydantic.ValidationError, match="NBA_REPLAY_DIR"):
        build_resources(lake_root=str(tmp_path), mode="replay", replay_dir=str(missing))
    with pytest.raises(ValueError, match=r"mode \(NBA_LAKEHOUSE_MODE\) must be 'replay' or 'live', not 'fast'"):
        build_resources(lake_root=str(tmp_path), mode="fast")


def test_a_credential_in_the_plain_headers_is_refused():
    with pytest.raises(pydantic.ValidationError, match="stats_headers holds credential header.*secret_headers"):
        NBAClient(mode="live", stats_headers={"User-Agent": "x", "Authorization": "Bearer abc"})


# ------------------------------------------------------------------------------- secrets
TOKEN = "tok-3f9a7c1e-secret"


def test_a_secret_header_is_sent_but_appears_in_no_response_label_or_error(server, monkeypatch):
    """The server sees the secret header's value read from its environment variable; the response,
    its request label and an error whose body echoes the header (the real V3 play-by-play once, then
    a 400 quoting the token) never show it."""
    monkeypatch.setenv("NBA_TEST_TOKEN", TOKEN)
    server.on(PBP_V3, serve_file(PBP_V3_FILE), answer(400, f"bad token {TOKEN}".encode(), "text/plain"))
    client = live_client(server.base, secret_headers={"Authorization": "NBA_TEST_TOKEN"})

    response = client.play_by_play_v3(GAME_V3)
    with pytest.raises(NBASourceError) as raised:
        client.play_by_play_v3(GAME_V3)

    assert [s.headers.get("Authorization") for s in server.requests_to(PBP_V3)] == [TOKEN, TOKEN]
    assert TOKEN not in repr(response.request) + response.url + response.request.label
    assert TOKEN not in str(raised.value) and "bad token ***" in str(raised.value)
    assert TOKEN not in client.model_dump_json()  # the config holds the variable's name only


def test_a_secret_header_whose_variable_is_unset_is_named(server, monkeypatch):
    monkeypatch.delenv("NBA_TEST_TOKEN", raising=False)
    client = live_client(server.base, secret_headers={"Authorization": "NBA_TEST_TOKEN"})

    with pytest.raises(NBASourceError, match="secret header Authorization: environment variable NBA_TEST_TOKEN is not set"):
        client.play_by_play_v3(GAME_V3)
    assert server.seen == []


def test_credentials_in_a_base_url_or_proxy_are_redacted(fake_nba):
    """A password in ``stats_base_url`` reaches the server (as basic auth) but not the response's
    URL; a proxy URL with a password that refuses connections fails without quoting it."""
    host = fake_nba.base.removeprefix("http://")
    client = fake_nba.client(stats_base_url=f"http://reader:pw-9d2e-secret@{host}/stats")

    response = client.play_by_play_v3(GAME_V3)

    assert "pw-9d2e-secret" not in response.url and response.url.startswith(f"http://***@{host}/stats/playbyplayv3?")
    with pytest.raises((RetriesExhaustedError, RequestDeadlineError)) as raised:
        fake_nba.client(proxy_url="http://puser:proxy-77c1-secret@127.0.0.1:9", max_retries=1).play_by_play_v3(GAME_V3)
    assert "proxy-77c1-secret" not in str(raised.value) and "ProxyError" in str(raised.value)


def test_redact_masks_url_credentials_and_given_secrets():
    text = "ProxyError('http://u:p%40ss@proxy:8080', https://stats.nba.com/stats?x=1) token abcd1234"
    assert redact(text, ["abcd1234"]) == "ProxyError('http://***@proxy:8080', https://stats.nba.com/stats?x=1) token ***"


# ------------------------------------------------------------------------------- in a run
def test_a_truncated_play_by_play_is_never_archived_and_the_next_run_archives_the_whole_game(fake_nba, tmp_path):
    """In a run of 2023-01-02, the real V3 play-by-play of 0022200552 truncated to its first half:
    bronze holds the game back (no play-by-play archived, the reason named); once the fault clears,
    the next run leaves the same bronze, silver and gold as a clean run."""
    fake_nba.fault(PBP_V3, edit_json(_keep_first_half(("game", "actions"))), times=None)
    faulty = run_dates(tmp_path / "lake", fake_nba.client(), "2023-01-02")

    archived = list((tmp_path / "lake" / "bronze").glob("playbyplayv3/**/*.json.gz"))
    assert archived == []
    events = [e for e in faulty.all_events if e.event_type_value == "ASSET_MATERIALIZATION"
              and e.asset_key.path == ["bronze_play_by_play"]]
    assert events, "bronze_play_by_play reports the held-back game"
    assert "unusable_payload" in json.dumps({k: str(v.value) for k, v in events[0].materialization.metadata.items()})

    fake_nba.clear_faults()
    assert run_dates(tmp_path / "lake", fake_nba.client(), "2023-01-02").success
    assert run_dates(tmp_path / "clean", fake_nba.client(), "2023-01-02").success
    assert lake_snapshot(tmp_path / "lake") == lake_snapshot(tmp_path / "clean")



def test_every_endpoint_the_client_calls_declares_its_validation():
    """Each nba_api endpoint module the client imports (and the CDN feeds) has a declaration."""
    import types

    from nba_lakehouse.sources.client import CDN_SCHEDULE, NBARequest
    from nba_lakehouse.sources.validation import ENDPOINTS

    stats = {
        module.__name__.rsplit(".", 1)[-1] for module in vars(client_module).values()
        if isinstance(module, types.ModuleType) and module.__name__.startswith("nba_api.stats.endpoints.")
    }
    cdn = {CDN_SCHEDULE.archive_name, *(NBARequest("cdn", f"liveData/{kind}/{kind}_{GAME_CDN}.json").archive_name
                                         for kind in ("playbyplay", "boxscore"))}
    assert stats | cdn == set(ENDPOINTS)

"""Shared fixtures: the recorded sample games, parsed once, and one end-to-end lake."""

import datetime as dt
import gzip
import json
import shutil
import sys
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from nba_lakehouse.lake import DEFAULT_REPLAY_DIR
from nba_lakehouse.schemas import (
    BOX_SCORE_PLAYERS,
    BOX_SCORE_TEAMS,
    GAMES,
    PLAY_BY_PLAY,
    SCHEDULE,
    SCOREBOARD_GAMES,
    TEAM_GAME_LOGS,
)
from nba_lakehouse.silver.box_scores import box_score_from_payload
from nba_lakehouse.silver.games import build_games, with_partition_columns
from nba_lakehouse.silver.repairs import publishable_play_by_play
from nba_lakehouse.sources.replay import recorded_games

REPLAY = Path(DEFAULT_REPLAY_DIR)

# The four complete recorded games and the feeds they were recorded in.
SAMPLE_GAMES = {
    "0021600270": ("v2", "stats/playbyplayv2/GameID=0021600270.json", "v2", "stats/boxscoretraditionalv2/GameID=0021600270.json"),
    "0022000001": ("cdn", "cdn/liveData/playbyplay/playbyplay_0022000001.json", "cdn", "cdn/liveData/boxscore/boxscore_0022000001.json"),
    "0022100732": ("v2", "stats/playbyplayv2/GameID=0022100732.json", "v2", "stats/boxscoretraditionalv2/GameID=0022100732.json"),
    "0022200552": ("v3", "stats/playbyplayv3/GameID=0022200552.json", "v3", "stats/boxscoretraditionalv3/GameID=0022200552.json"),
}


def load_recorded(relative: str) -> dict:
    return json.loads((REPLAY / relative).read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def sample_frames():
    """Silver frames of the four games, parsed straight from the recorded files the way the
    silver assets do (no Dagster): box scores first, then play-by-play with its repairs and V3's
    names resolved through them."""
    dates = recorded_games(REPLAY)
    responses, players, teams = [], [], []
    for game_id, (pbp_feed, pbp_file, box_feed, box_file) in SAMPLE_GAMES.items():
        game_date = dates[game_id]
        responses.append((load_recorded(pbp_file), pbp_feed, game_id))
        p, t = box_score_from_payload(load_recorded(box_file), box_feed, game_id)
        players.append(with_partition_columns(p, game_date))
        teams.append(with_partition_columns(t, game_date))
    box_players = BOX_SCORE_PLAYERS.enforce(pl.concat(players))
    pbp, held_back, flagged = publishable_play_by_play(responses, {g: dates[g] for g in SAMPLE_GAMES}, box_players)
    assert held_back.is_empty() and flagged.is_empty(), (held_back, flagged)
    frames = {
        "play_by_play": PLAY_BY_PLAY.enforce(pbp),
        "box_score_players": box_players,
        "box_score_teams": BOX_SCORE_TEAMS.enforce(pl.concat(teams)),
    }
    frames["games"] = GAMES.enforce(build_games(
        SCHEDULE.empty(), SCOREBOARD_GAMES.empty(), TEAM_GAME_LOGS.empty(), frames["box_score_teams"], frames["play_by_play"]
    ))
    return frames


@pytest.fixture(scope="session")
def demo_lake(tmp_path_factory):
    """The README's main job, run once on a temporary lake with an ephemeral instance."""
    from nba_lakehouse.demo import run_demo

    root = tmp_path_factory.mktemp("lake")
    with dg.instance_for_test() as instance:
        result = run_demo(lake_root=str(root), instance=instance)
    return root, result


def game_dates() -> dict[str, dt.date]:
    return recorded_games(REPLAY)


BULK = Path(__file__).resolve().parent / "data" / "bulk_2022_23"


def bulk_game(number: int) -> tuple[str, list[dict]]:
    """(game id, actions) of one game of the real 2022-23 bulk season copied into the test data."""
    with gzip.open(BULK / f"S2223-G{number:04d}.json.gz", "rt", encoding="utf-8") as f:
        return f"00{22200000 + number}", json.load(f)


def add_bulk_game(replay: Path, number: int, game_date: str) -> str:
    """Serve a bulk game's real actions, unchanged, in the recorded PlayByPlayV3 envelope (meta and
    game fields of the 0022200552 recording, gameId replaced) on ``game_date``; it has no box score."""
    game_id, actions = bulk_game(number)
    envelope = load_recorded(SAMPLE_GAMES["0022200552"][1])
    envelope["game"] = {**envelope["game"], "gameId": game_id, "actions": actions}
    (replay / "stats" / "playbyplayv3" / f"GameID={game_id}.json").write_text(json.dumps(envelope))
    with (replay / "games.csv").open("a") as f:
        f.write(f"{game_id},{game_date},bulk file S2223-G{number:04d} (date assigned by the test)\n")
    return game_id


def replay_with_a_lowered_score(tmp_path) -> Path:
    """A copy of the recordings where the real V3 play-by-play of 0022200552 has every home score
    from the middle of the 2nd period on lowered by 10: the score drops and never comes back, so
    no feed repair applies and the game breaks scores_never_decrease."""
    replay = tmp_path / "replay"
    shutil.copytree(REPLAY, replay)
    pbp_path = replay / SAMPLE_GAMES["0022200552"][1]
    pbp = json.loads(pbp_path.read_text())
    actions = pbp["game"]["actions"]
    second = [i for i, a in enumerate(actions) if a["scoreHome"] not in ("", "0") and a["period"] == 2]
    for action in actions[second[len(second) // 2]:]:
        if action["scoreHome"] not in ("", "0"):
            action["scoreHome"] = str(int(action["scoreHome"]) - 10)
    pbp_path.write_text(json.dumps(pbp))
    return replay


@pytest.fixture
def fake_nba():
    """The shared loopback fake NBA serving the real recordings (``fake_nba.FakeNBA``)."""
    from nba_lakehouse_tests.fake_nba import serve

    with serve() as fake:
        yield fake


@pytest.fixture
def python3_kernel(tmp_path, monkeypatch):
    """A `python3` kernel spec running this interpreter (the venv's, with ipykernel), found
    before any other python3 spec on the machine."""
    spec_dir = tmp_path / "jupyter" / "kernels" / "python3"
    spec_dir.mkdir(parents=True)
    (spec_dir / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (test)", "language": "python",
    }))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    return "python3"


# Modules left out of the default `pytest` (``-m "not slow"`` in pyproject.toml) because they start
# services, browsers or kernels, or materialize whole dates; `python3 tasks.py test` runs them too.
# Every test of the demo lake (built in about 100 s) is slow as well.
SLOW_MODULES = frozenset({
    "test_backfill", "test_celery", "test_faults_kill", "test_notebook",
    "test_postgres_instance", "test_resume", "test_s3_lake", "test_ui_browser",
})


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups
def pytest_collection_modifyitems(config, items):
    """Keep what shares a fixture on one xdist worker (``-n 2 --dist loadgroup``): a test module's
    module-scoped fixtures are built once, and every test of the end-to-end demo lake (built in
    about 100 s) runs on the worker that built it. Mark the slow ones (see SLOW_MODULES)."""
    for item in items:
        uses_demo_lake = "demo_lake" in getattr(item, "fixturenames", ())
        group = "demo_lake" if uses_demo_lake else item.module.__name__
        item.add_marker(pytest.mark.xdist_group(group))
        if uses_demo_lake or item.module.__name__.rpartition(".")[2] in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)

"""Silver and gold transforms on the recorded games, checked against independent fields."""

import polars as pl
import pytest

from nba_lakehouse.gold.event_state import build_event_state
from nba_lakehouse.gold.starter_splits import build_starter_splits
from nba_lakehouse.schemas import EVENT_STATE, STARTER_SPLITS
from nba_lakehouse.silver.box_scores import box_score_from_payload
from nba_lakehouse.sources.payloads import result_set
from nba_lakehouse_tests.conftest import SAMPLE_GAMES, load_recorded


def _box_points(teams: pl.DataFrame) -> dict[tuple[str, int], int]:
    return {(r["game_id"], r["team_id"]): r["points"] for r in teams.iter_rows(named=True)}


def test_every_game_and_feed_is_parsed(sample_frames):
    pbp = sample_frames["play_by_play"]
    assert pbp.group_by("game_id").agg(pl.col("source").first()).sort("game_id").rows() == [
        (g, feeds[0]) for g, feeds in sorted(SAMPLE_GAMES.items())
    ]
    # Each feed's own row count survives normalization (V3 keeps its block/steal rows).
    for game_id, (feed, path, *_ ) in SAMPLE_GAMES.items():
        raw = load_recorded(path)
        expected = len(raw["resultSets"][0]["rowSet"]) if feed == "v2" else len(raw["game"]["actions"])
        assert pbp.filter(pl.col("game_id") == game_id).height == expected


def test_points_from_scoring_events_equal_box_score_points(sample_frames):
    """Made shots and free throws, summed per team, give each team's box score points."""
    pbp, teams = sample_frames["play_by_play"], sample_frames["box_score_teams"]
    scored = (
        pbp.filter(pl.col("shot_made").fill_null(False))
        .group_by("game_id", "team_id")
        .agg(pl.col("shot_value").cast(pl.Int32).sum())
    )
    assert {(r["game_id"], r["team_id"]): r["shot_value"] for r in scored.iter_rows(named=True)} == _box_points(teams)


def test_last_play_by_play_score_is_the_box_score_final(sample_frames):
    games, teams = sample_frames["games"], sample_frames["box_score_teams"]
    box = _box_points(teams)
    pbp_final = (
        sample_frames["play_by_play"].sort("event_order").group_by("game_id")
        .agg(pl.col("home_score").drop_nulls().last(), pl.col("away_score").drop_nulls().last())
    )
    for row in pbp_final.join(games.select("game_id", "home_team_id", "away_team_id"), on="game_id").iter_rows(named=True):
        assert row["home_score"] == box[(row["game_id"], row["home_team_id"])]
        assert row["away_score"] == box[(row["game_id"], row["away_team_id"])]


def test_games_sides_agree_with_the_feeds_that_state_them(sample_frames):
    """V3 and CDN box scores name home and away; V2 games get them from the play-by-play."""
    games = sample_frames["games"]
    assert games["status"].to_list() == ["final"] * 4
    assert games.filter(pl.col("home_team_id").is_null() | pl.col("away_team_id").is_null()).is_empty()
    v3 = load_recorded(SAMPLE_GAMES["0022200552"][3])["boxScoreTraditional"]
    cdn = load_recorded(SAMPLE_GAMES["0022000001"][3])["game"]
    sides = {r["game_id"]: (r["home_team_id"], r["away_team_id"]) for r in games.iter_rows(named=True)}
    assert sides["0022200552"] == (v3["homeTeamId"], v3["awayTeamId"])
    assert sides["0022000001"] == (cdn["homeTeam"]["teamId"], cdn["awayTeam"]["teamId"])
    # V2 summary responses record the home team independently of the play-by-play.
    for game_id in ("0021600270", "0022100732"):
        summary = load_recorded(f"stats/boxscoresummaryv2/GameID={game_id}.json")
        header = next(rs for rs in summary["resultSets"] if rs["name"] == "GameSummary")
        row = dict(zip(header["headers"], header["rowSet"][0], strict=True))
        assert sides[game_id] == (row["HOME_TEAM_ID"], row["VISITOR_TEAM_ID"])


def test_winner_is_the_team_with_more_box_score_points(sample_frames):
    box = _box_points(sample_frames["box_score_teams"])
    for g in sample_frames["games"].iter_rows(named=True):
        home, away = box[(g["game_id"], g["home_team_id"])], box[(g["game_id"], g["away_team_id"])]
        assert g["winner_team_id"] == (g["home_team_id"] if home > away else g["away_team_id"])


def test_v2_and_v3_box_scores_of_the_same_game_agree():
    players3, teams3 = box_score_from_payload(load_recorded("stats/boxscoretraditionalv3/GameID=0022200552.json"), "v3", "0022200552")
    players2, teams2 = box_score_from_payload(load_recorded("stats/boxscoretraditionalv2/GameID=0022200552.json"), "v2", "0022200552")
    stats = ["player_id", "team_id", "starter", "points", "rebounds_total", "assists", "played"]
    assert players3.select(stats).sort("player_id").equals(players2.select(stats).sort("player_id"))
    assert teams3.select("team_id", "points").sort("team_id").equals(teams2.select("team_id", "points").sort("team_id"))
    # Minutes: V3 "MM:SS" and V2 "MM:SS" parse to the same decimal minutes.
    m3 = players3.select("player_id", "minutes").sort("player_id")["minutes"].fill_null(0)
    m2 = players2.select("player_id", "minutes").sort("player_id")["minutes"].fill_null(0)
    assert (m3 - m2).abs().max() < 1e-9


@pytest.fixture(scope="module")
def event_state(sample_frames):
    return EVENT_STATE.enforce(build_event_state(sample_frames["play_by_play"], sample_frames["games"]))


def test_event_state_ends_on_the_box_score_margin(event_state, sample_frames):
    box = _box_points(sample_frames["box_score_teams"])
    last = event_state.sort("event_order").group_by("game_id").last()
    for row in last.join(sample_frames["games"], on="game_id").iter_rows(named=True):
        margin = box[(row["game_id"], row["home_team_id"])] - box[(row["game_id"], row["away_team_id"])]
        assert row["point_differential"] == margin
        assert row["final_winning_team"] == (0 if margin > 0 else 1)
        assert row["current_winning_team"] == row["final_winning_team"]


def test_event_state_clock_is_overtime_aware(event_state, sample_frames):
    per_game = event_state.group_by("game_id").agg(
        pl.col("seconds_elapsed_game").max(), pl.col("period").max(),
        pl.col("seconds_remaining_game").filter(pl.col("event_order") == 1).first(),
    )
    for row in per_game.iter_rows(named=True):
        overtimes = max(0, row["period"] - 4)
        assert row["seconds_elapsed_game"] == 4 * 720 + overtimes * 300
        assert row["seconds_remaining_game"] == 4 * 720
    # Elapsed game time never runs backwards within a game.
    back = event_state.sort("game_id", "event_order").with_columns(
        d=pl.col("seconds_elapsed_game").diff().over("game_id")
    ).filter(pl.col("d") < 0)
    assert back.is_empty()


def test_scores_forward_filled_and_never_null(event_state):
    assert event_state.select(pl.col("home_score", "away_score").null_count()).row(0) == (0, 0)
    assert (event_state["point_differential"] == event_state["home_score"] - event_state["away_score"]).all()


def test_cdn_possession_comes_from_the_feed(event_state, sample_frames):
    games = sample_frames["games"].filter(pl.col("game_id") == "0022000001").row(0, named=True)
    raw = load_recorded(SAMPLE_GAMES["0022000001"][1])["game"]["actions"]
    side = {games["home_team_id"]: 0, games["away_team_id"]: 1}
    expected = [side.get(a["possession"]) for a in sorted(raw, key=lambda a: a["orderNumber"])]
    got = event_state.filter(pl.col("game_id") == "0022000001").sort("event_order")["possession_side"].to_list()
    assert got == expected


def test_inferred_possession_agrees_with_the_cdn_feed(sample_frames):
    """Infer possession on the CDN game as if the feed did not state it, and compare."""
    pbp = sample_frames["play_by_play"].filter(pl.col("game_id") == "0022000001")
    inferred = build_event_state(pbp.with_columns(source=pl.lit("v3")), sample_frames["games"])
    stated = build_event_state(pbp, sample_frames["games"])
    both = inferred.select("event_order", "event_type", inferred="possession_side").join(
        stated.select("event_order", stated="possession_side"), on="event_order"
    ).filter(pl.col("inferred").is_not_null() & pl.col("stated").is_not_null())
    # Shots, free throws and turnovers are the acting team's possession by definition.
    offense = both.filter(pl.col("event_type").is_in(["made_shot", "missed_shot", "free_throw", "turnover"]))
    assert (offense["inferred"] == offense["stated"]).mean() > 0.97
    assert (both["inferred"] == both["stated"]).mean() > 0.99  # 607 of 608 on 0022000001
    assert both.height > 0.8 * pbp.height


def test_starter_splits_count_roles_from_the_box_score(sample_frames):
    players = sample_frames["box_score_players"]
    splits = STARTER_SPLITS.enforce(build_starter_splits(players))
    starters = players.filter(pl.col("starter")).group_by("season", "player_id").len()
    assert splits.filter(pl.col("games_started") > 0).height == starters.height
    assert splits["games_started"].sum() == players["starter"].sum()
    bench = players.filter(~pl.col("starter") & pl.col("played"))
    assert splits["games_bench"].sum() == bench.height
    mitchell = splits.filter(pl.col("player_id") == 1628378).row(0, named=True)
    box_line = players.filter(pl.col("player_id") == 1628378).row(0, named=True)
    assert mitchell["starter_points"] == box_line["points"]
    assert mitchell["bench_points"] is None


def test_score_at_each_period_end_matches_the_summary_line_score(event_state, sample_frames):
    """BoxScoreSummaryV2 LineScore (recorded separately) gives points per period."""
    at_period_end = event_state.sort("event_order").group_by("game_id", "period").agg(
        pl.col("home_score").last(), pl.col("away_score").last()
    )
    games = sample_frames["games"]
    for game_id in ("0021600270", "0022100732", "0022200552"):
        line = result_set(load_recorded(f"stats/boxscoresummaryv2/GameID={game_id}.json"), "LineScore").to_dicts()
        sides = games.filter(pl.col("game_id") == game_id).row(0, named=True)
        for side in ("home", "away"):
            team = next(r for r in line if r["TEAM_ID"] == sides[f"{side}_team_id"])
            per_period = [team[f"PTS_QTR{q}"] for q in range(1, 5)] + [team[f"PTS_OT{o}"] for o in range(1, 11)]
            got = at_period_end.filter(pl.col("game_id") == game_id).sort("period")[f"{side}_score"].to_list()
            cumulative = [sum(per_period[: p + 1]) for p in range(len(got))]
            assert got == cumulative, (game_id, side)
            assert got[-1] == team["PTS"]


def test_a_game_with_only_its_away_box_row_keeps_its_season_and_date(sample_frames):
    from nba_lakehouse.silver.games import game_outcomes

    teams = sample_frames["box_score_teams"].filter(
        ~((pl.col("game_id") == "0022200552") & pl.col("is_home").fill_null(False))
    )
    pbp = sample_frames["play_by_play"].filter(pl.col("game_id") != "0022200552")
    row = game_outcomes(teams, pbp).filter(pl.col("game_id") == "0022200552").row(0, named=True)
    original = sample_frames["box_score_teams"].filter(pl.col("game_id") == "0022200552").row(0, named=True)
    assert (row["season"], row["game_date"], row["box_score_source"]) == (
        original["season"], original["game_date"], original["source"]
    )
    assert row["home_team_id"] is None and row["away_team_id"] is not None

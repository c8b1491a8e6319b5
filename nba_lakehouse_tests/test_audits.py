"""The audit passes on the real games and catches corrupted copies of them."""

import polars as pl

from nba_lakehouse.silver import audits
from nba_lakehouse.silver.games import game_outcomes


def test_every_audit_passes_on_the_recorded_games(sample_frames):
    pbp, players, teams, games = (sample_frames[k] for k in ("play_by_play", "box_score_players", "box_score_teams", "games"))
    assert audits.box_score_row_counts(teams, players).is_empty()
    assert audits.starters_per_team(players).is_empty()
    assert audits.final_score_mismatches(pbp, games).is_empty()
    assert audits.decreasing_scores(pbp).is_empty()
    assert audits.duplicate_event_keys(pbp).is_empty()
    assert audits.clock_out_of_bounds(pbp).is_empty()
    assert audits.completed_games_missing_scores(pbp, games).is_empty()


def _drop_last_scoring_event(pbp: pl.DataFrame, game_id: str) -> pl.DataFrame:
    last = pbp.filter((pl.col("game_id") == game_id) & pl.col("home_score").is_not_null() & pl.col("shot_made").fill_null(False))["event_order"].max()
    return pbp.filter(~((pl.col("game_id") == game_id) & (pl.col("event_order") == last)))


def test_a_dropped_scoring_event_breaks_the_final_score(sample_frames):
    for game_id in sample_frames["games"]["game_id"]:
        corrupted = _drop_last_scoring_event(sample_frames["play_by_play"], game_id)
        bad = audits.final_score_mismatches(corrupted, sample_frames["games"])
        assert bad["game_id"].to_list() == [game_id]


def test_a_removed_starter_flag_is_caught(sample_frames):
    players = sample_frames["box_score_players"]
    victim = players.filter(pl.col("starter")).row(0, named=True)
    corrupted = players.with_columns(
        starter=pl.when(pl.col("player_id") == victim["player_id"]).then(False).otherwise(pl.col("starter"))
    )
    bad = audits.starters_per_team(corrupted)
    assert bad.rows() == [(victim["game_id"], victim["team_id"], 4)]


def test_a_missing_team_row_or_team_without_players_is_caught(sample_frames):
    teams, players = sample_frames["box_score_teams"], sample_frames["box_score_players"]
    dropped = teams.row(0, named=True)
    bad = audits.box_score_row_counts(teams.slice(1), players)
    assert bad["game_id"].to_list() == [dropped["game_id"]]
    no_players = players.filter(pl.col("team_id") != dropped["team_id"])
    assert dropped["game_id"] in audits.box_score_row_counts(teams, no_players)["game_id"].to_list()


def test_a_score_that_goes_down_is_caught(sample_frames):
    pbp = sample_frames["play_by_play"]
    scored = pbp.filter(pl.col("home_score") > 10).row(0, named=True)
    corrupted = pbp.with_columns(
        home_score=pl.when((pl.col("game_id") == scored["game_id"]) & (pl.col("event_order") == scored["event_order"]))
        .then(pl.col("home_score") - 10).otherwise(pl.col("home_score"))
    )
    bad = audits.decreasing_scores(corrupted)
    assert (scored["game_id"], scored["event_order"]) in set(zip(bad["game_id"], bad["event_order"], strict=True))


def test_duplicate_keys_and_bad_clocks_are_caught(sample_frames):
    pbp = sample_frames["play_by_play"]
    assert audits.duplicate_event_keys(pl.concat([pbp, pbp.head(1)])).height == 1
    ot = pbp.filter(pl.col("period") == 5).row(0, named=True)
    corrupted = pbp.with_columns(
        clock_seconds=pl.when((pl.col("game_id") == ot["game_id"]) & (pl.col("event_order") == ot["event_order"]))
        .then(400.0).otherwise(pl.col("clock_seconds"))  # more than an overtime's five minutes
    )
    assert audits.clock_out_of_bounds(corrupted)["event_order"].to_list() == [ot["event_order"]]


def test_a_completed_game_without_its_box_score_is_caught(sample_frames):
    pbp, teams = sample_frames["play_by_play"], sample_frames["box_score_teams"]
    games = game_outcomes(teams.filter(pl.col("game_id") != "0022200552"), pbp)
    bad = audits.completed_games_missing_scores(pbp, games)
    assert bad["game_id"].to_list() == ["0022200552"]


def test_a_review_that_takes_points_off_is_not_a_decrease_error(sample_frames):
    """Real feeds lower the score on the instant-replay row of an overturned basket."""
    pbp = sample_frames["play_by_play"]
    replay = pbp.filter(pl.col("event_type") == "instant_replay").row(0, named=True)
    made = pbp.filter(
        (pl.col("game_id") == replay["game_id"]) & (pl.col("event_order") < replay["event_order"])
        & (pl.col("home_score").is_not_null())
    ).sort("event_order").row(-1, named=True)
    key = (pl.col("game_id") == replay["game_id"]) & (pl.col("event_order") == replay["event_order"])
    overturned = pbp.with_columns(
        home_score=pl.when(key).then(made["home_score"] - 2).otherwise(pl.col("home_score")),
        away_score=pl.when(key).then(made["away_score"]).otherwise(pl.col("away_score")),
    )
    # Everything after the review carries on from the corrected score in a real feed; here only
    # the review row is touched, so the next scoring row is a (correct) increase again.
    bad = audits.decreasing_scores(overturned)
    assert replay["event_order"] not in bad.filter(pl.col("game_id") == replay["game_id"])["event_order"].to_list()
    as_a_shot = overturned.with_columns(event_type=pl.when(key).then(pl.lit("made_shot")).otherwise(pl.col("event_type")))
    assert replay["event_order"] in audits.decreasing_scores(as_a_shot)["event_order"].to_list()

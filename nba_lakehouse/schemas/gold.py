"""The gold tables: per-event game state, lineups, possessions, stints and the per-game stat lines."""

from __future__ import annotations

import polars as pl

from nba_lakehouse.schemas.machinery import (
    Column,
    Table,
    game_date_column,
    game_id_column,
    season_column,
)

EVENT_STATE = Table(
    name="event_state",
    layer="gold",
    description="Game state after every play-by-play event: clock, score, margin, possession, leader.",
    partition_by=("season", "game_date"),
    key=("game_id", "event_order"),
    columns=(
        season_column("silver.play_by_play season"),
        game_date_column("silver.play_by_play game_date"),
        game_id_column("silver.play_by_play game_id"),
        Column("event_order", pl.Int32, "Event order within the game", nullable=False,
               source="silver.play_by_play event_order"),
        Column("period", pl.Int16, "Period", nullable=False,
               source="silver.play_by_play period"),
        Column("event_type", pl.String, "Unified event type", nullable=False,
               source="silver.play_by_play event_type"),
        Column("team_id", pl.Int64, "Acting team",
               source="silver.play_by_play team_id"),
        Column("home_team_id", pl.Int64, "Home team",
               source="silver.games home_team_id (the date's box score, else the play-by-play's home location)"),
        Column("away_team_id", pl.Int64, "Away team",
               source="silver.games away_team_id (the date's box score, else the play-by-play's away location)"),
        Column("seconds_remaining_period", pl.Float64, "Seconds left in the period", nullable=False,
               source="silver.play_by_play clock_seconds"),
        Column("seconds_remaining_game", pl.Float64, "Seconds left in regulation; in overtime, seconds left in the overtime period", nullable=False,
               source="derived: silver.play_by_play clock_seconds + 720 s per regulation period left (overtime: clock_seconds)"),
        Column("seconds_elapsed_game", pl.Float64, "Seconds of game time played since tip-off", nullable=False,
               source="derived: silver.play_by_play period and clock_seconds (720 s regulation periods, 300 s overtimes)"),
        Column("home_score", pl.Int32, "Home score (forward-filled)", nullable=False,
               source="derived: silver.play_by_play home_score, forward-filled within the game, 0 before the first score"),
        Column("away_score", pl.Int32, "Away score (forward-filled)", nullable=False,
               source="derived: silver.play_by_play away_score, forward-filled within the game, 0 before the first score"),
        Column("point_differential", pl.Int32, "home_score - away_score", nullable=False,
               source="derived: home_score - away_score"),
        Column("possession_side", pl.Int8, "0 home, 1 away, null unknown: the team with the ball during the event (cdn: the feed; v2, v3: the rebounding team on a rebound, else the offense of the event's gold.possessions row; null for a game held back from gold.possessions)",
               source="derived: cdn: silver.play_by_play possession_team_id; v2, v3: rebounds: team_id, else gold.possessions offense_side (the same possession rules); sides from silver.games home/away_team_id"),
        Column("current_winning_team", pl.Int8, "0 home leads, 1 away leads, null tied",
               source="derived: sign of point_differential"),
        Column("final_winning_team", pl.Int8, "0 home won, 1 away won, null if not final",
               source="derived: silver.games status, winner_team_id, home_team_id, away_team_id"),
        Column("possession_number", pl.Int32, "The game's possession the event belongs to (from 1)",
               source="gold.possessions possession_number"),
        Column("offense_side", pl.Int8, "0 home, 1 away: offense of the possession the event belongs to (all feeds, inferred)",
               source="derived: gold.possessions offense_team_id vs home/away team"),
        Column("seconds_into_possession", pl.Float64, "Game seconds since the possession started",
               source="derived: seconds_elapsed_game - gold.possessions start_seconds"),
        Column("home_starters_on_court", pl.Int8, "How many of the home team's game starters are on the floor",
               source="derived: gold.players_on_court home_player_ids and silver.box_score_players starter"),
        Column("away_starters_on_court", pl.Int8, "How many of the away team's game starters are on the floor",
               source="derived: gold.players_on_court away_player_ids and silver.box_score_players starter"),
    ),
)

STARTER_SPLITS = Table(
    name="starter_splits",
    layer="gold",
    description="Per player per season: games started vs off the bench, and per-role averages.",
    partition_by=("season",),
    key=("season", "player_id"),  # the table holds every season
    columns=(
        season_column("silver.box_score_players season"),
        Column("player_id", pl.Int64, "NBA person id", nullable=False,
               source="silver.box_score_players player_id"),
        Column("player_name", pl.String, "Player name (latest seen)",
               source="derived: silver.box_score_players player_name of the latest game_date"),
        Column("games_started", pl.Int32, "Games started", nullable=False,
               source="derived: count of silver.box_score_players rows with starter"),
        Column("games_bench", pl.Int32, "Games played off the bench", nullable=False,
               source="derived: count of silver.box_score_players rows with played and not starter"),
        Column("starter_minutes", pl.Float64, "Average minutes as a starter",
               source="derived: mean of silver.box_score_players minutes over games started"),
        Column("starter_points", pl.Float64, "Average points as a starter",
               source="derived: mean of silver.box_score_players points over games started"),
        Column("starter_rebounds", pl.Float64, "Average rebounds as a starter",
               source="derived: mean of silver.box_score_players rebounds_total over games started"),
        Column("starter_assists", pl.Float64, "Average assists as a starter",
               source="derived: mean of silver.box_score_players assists over games started"),
        Column("bench_minutes", pl.Float64, "Average minutes off the bench",
               source="derived: mean of silver.box_score_players minutes over games played off the bench"),
        Column("bench_points", pl.Float64, "Average points off the bench",
               source="derived: mean of silver.box_score_players points over games played off the bench"),
        Column("bench_rebounds", pl.Float64, "Average rebounds off the bench",
               source="derived: mean of silver.box_score_players rebounds_total over games played off the bench"),
        Column("bench_assists", pl.Float64, "Average assists off the bench",
               source="derived: mean of silver.box_score_players assists over games played off the bench"),
    ),
)

def _lineup(side: str) -> Column:
    return Column(f"{side}_player_ids", pl.List(pl.Int64), f"The {side} team's players on the floor, sorted person ids (five when the feed is complete)",
                  nullable=False,
                  source=f"derived: {side} period starters (period 1: silver.box_score_players starter; later: acted or left before entering, "
                         "else box minutes nobody else explains, else on the floor at the previous period's end) "
                         "plus silver.play_by_play substitutions (sub_out_player_id out, sub_in_player_id in)")


def _side_team(side: str, source: str) -> Column:
    return Column(f"{side}_team_id", pl.Int64, f"{side.capitalize()} team", source=source)


_SIDES_SOURCE = "derived: silver.box_score_teams and silver.play_by_play (games.game_outcomes)"

PLAYERS_ON_COURT = Table(
    name="players_on_court",
    layer="gold",
    description="For every play-by-play event, the five home and five away players on the floor (v2, v3 and cdn feeds).",
    partition_by=("season", "game_date"),
    key=("game_id", "event_order"),
    columns=(
        season_column("silver.play_by_play season"),
        game_date_column("silver.play_by_play game_date"),
        game_id_column("silver.play_by_play game_id"),
        Column("event_order", pl.Int32, "Event order within the game", nullable=False,
               source="silver.play_by_play event_order"),
        Column("period", pl.Int16, "Period", nullable=False, source="silver.play_by_play period"),
        Column("segment", pl.Int32, "Lineup segment within the period: the number of substitution batches before the event "
               "(the rows of a batch still see the lineup from before it)", nullable=False,
               source="derived: silver.play_by_play event_type = substitution, consecutive rows form one batch"),
        _side_team("home", _SIDES_SOURCE),
        _side_team("away", _SIDES_SOURCE),
        _lineup("home"),
        _lineup("away"),
    ),
)

POSSESSIONS = Table(
    name="possessions",
    layer="gold",
    description="One row per possession, inferred from play-by-play the same way for every feed (about 100 per team per game).",
    partition_by=("season", "game_date"),
    key=("game_id", "possession_number"),
    columns=(
        season_column("silver.play_by_play season"),
        game_date_column("silver.play_by_play game_date"),
        game_id_column("silver.play_by_play game_id"),
        Column("possession_number", pl.Int32, "Possession number within the game, from 1", nullable=False,
               source="derived: a new possession after a made field goal (no and-one), a made last free throw of a trip "
                      "(not technical, flagrant or clear path), a defensive rebound or a turnover; at each period start; "
                      "and where the acting offense changes without one of those"),
        Column("period", pl.Int16, "Period", nullable=False, source="silver.play_by_play period"),
        Column("offense_team_id", pl.Int64, "Team with the ball",
               source="derived: acting team of the possession's first shot, free throw, turnover or offensive rebound; "
                      "else the team that did not have the previous possession"),
        Column("defense_team_id", pl.Int64, "Team without the ball", source="derived: the other side of the game"),
        Column("offense_side", pl.String, "home or away", source="derived: offense_team_id vs home/away team"),
        Column("start_event_order", pl.Int32, "First event of the possession", nullable=False,
               source="silver.play_by_play event_order"),
        Column("end_event_order", pl.Int32, "Last event (the one that ended it)", nullable=False,
               source="silver.play_by_play event_order"),
        Column("start_type", pl.String, "How it started: period_start, after_make, after_defensive_rebound, after_turnover, change_of_offense",
               source="derived: event_type of the previous possession's last event"),
        Column("points", pl.Int32, "Points the offense scored in it",
               source="derived: differences of the forward-filled silver.play_by_play home_score / away_score"),
        Column("start_seconds", pl.Float64, "Game seconds elapsed when it started (the previous possession's end)", nullable=False,
               source="derived: silver.play_by_play period, clock_seconds"),
        Column("end_seconds", pl.Float64, "Game seconds elapsed at its last event (the period's end for the last one)", nullable=False,
               source="derived: silver.play_by_play period, clock_seconds"),
        Column("duration_seconds", pl.Float64, "end_seconds - start_seconds", nullable=False, source="derived"),
    ),
)

STINTS = Table(
    name="stints",
    layer="gold",
    description="Contiguous stretches with both lineups unchanged (within a period): time, points and possessions. The unit of lineup models.",
    partition_by=("season", "game_date"),
    key=("game_id", "stint_number"),
    columns=(
        season_column("gold.players_on_court season"),
        game_date_column("gold.players_on_court game_date"),
        game_id_column("gold.players_on_court game_id"),
        Column("stint_number", pl.Int32, "Stint number within the game, from 1", nullable=False,
               source="derived: a new stint at each period start and each change of either lineup in gold.players_on_court"),
        Column("period", pl.Int16, "Period", nullable=False, source="gold.players_on_court period"),
        _side_team("home", "gold.players_on_court home_team_id"),
        _side_team("away", "gold.players_on_court away_team_id"),
        _lineup("home"),
        _lineup("away"),
        Column("start_event_order", pl.Int32, "First event of the stint", nullable=False, source="gold.players_on_court event_order"),
        Column("end_event_order", pl.Int32, "Last event of the stint", nullable=False, source="gold.players_on_court event_order"),
        Column("start_seconds", pl.Float64, "Game seconds elapsed when it started", nullable=False,
               source="derived: clock of the substitution that started it, or the period start"),
        Column("end_seconds", pl.Float64, "Game seconds elapsed when it ended", nullable=False,
               source="derived: clock of the substitution that ended it, or the period end"),
        Column("duration_seconds", pl.Float64, "end_seconds - start_seconds", nullable=False, source="derived"),
        Column("home_points", pl.Int32, "Points the home team scored in the stint", nullable=False,
               source="derived: score differences of silver.play_by_play events in the stint"),
        Column("away_points", pl.Int32, "Points the away team scored in the stint", nullable=False,
               source="derived: score differences of silver.play_by_play events in the stint"),
        Column("home_possessions", pl.Int32, "Home possessions that started in the stint", nullable=False,
               source="gold.possessions starting in the stint with offense_side home"),
        Column("away_possessions", pl.Int32, "Away possessions that started in the stint", nullable=False,
               source="gold.possessions starting in the stint with offense_side away"),
    ),
)


def _box_total(name: str) -> Column:
    return Column(name, pl.Int32, f"Team {name.replace('_', ' ')}", source=f"silver.box_score_teams {name}")


def _rate(name: str, meaning: str, formula: str) -> Column:
    return Column(name, pl.Float64, meaning, source=f"derived: {formula}")


TEAM_GAME_STATS = Table(
    name="team_game_stats",
    layer="gold",
    description="Per team per game: box score totals, the four factors, pace and offensive/defensive rating from counted possessions.",
    partition_by=("season", "game_date"),
    key=("game_id", "team_id"),
    columns=(
        season_column("silver.box_score_teams season"),
        game_date_column("silver.box_score_teams game_date"),
        game_id_column("silver.box_score_teams game_id"),
        Column("team_id", pl.Int64, "Team", nullable=False, source="silver.box_score_teams team_id"),
        Column("team_tricode", pl.String, "Team tricode", source="silver.box_score_teams team_tricode"),
        Column("opponent_team_id", pl.Int64, "Opponent", nullable=False, source="silver.box_score_teams team_id of the other row"),
        Column("is_home", pl.Boolean, "Home team, where the box score says so", source="silver.box_score_teams is_home"),
        *(_box_total(name) for name in (
            "points", "field_goals_made", "field_goals_attempted", "three_pointers_made", "three_pointers_attempted",
            "free_throws_made", "free_throws_attempted", "rebounds_offensive", "rebounds_defensive", "assists", "turnovers",
        )),
        Column("opponent_points", pl.Int32, "Opponent's points", source="silver.box_score_teams points of the other row"),
        Column("possessions", pl.Int32, "Possessions the team had", source="derived: count of gold.possessions by offense_team_id"),
        Column("opponent_possessions", pl.Int32, "Possessions the opponent had", source="derived: count of gold.possessions by offense_team_id"),
        _rate("effective_fg_pct", "Effective field goal % (four factors: shooting)", "(FGM + 0.5 * 3PM) / FGA"),
        _rate("turnover_pct", "Turnovers per play (four factors: turnovers)", "TOV / (FGA + 0.44 * FTA + TOV)"),
        _rate("offensive_rebound_pct", "Share of available offensive rebounds taken (four factors: rebounding)", "OREB / (OREB + opponent DREB)"),
        _rate("free_throw_rate", "Free throw attempts per field goal attempt (four factors: free throws)", "FTA / FGA"),
        _rate("pace", "Possessions per 48 minutes", "mean of possessions and opponent_possessions * 2880 / game seconds (300 s per overtime)"),
        _rate("offensive_rating", "Points per 100 possessions", "100 * points / possessions"),
        _rate("defensive_rating", "Points allowed per 100 opponent possessions", "100 * opponent_points / opponent_possessions"),
    ),
)


def _clutch_count(name: str, meaning: str, source: str) -> Column:
    return Column(name, pl.Int32, meaning, nullable=False, source=source)


_CLUTCH_EVENTS = "derived: silver.play_by_play events in clutch time (period >= 4, <= 300 s left, |margin before the event| <= 5)"

CLUTCH_SPLITS = Table(
    name="clutch_splits",
    layer="gold",
    description="Per player per season: stats in clutch time (last five minutes of the fourth period or overtime, margin five or less).",
    partition_by=("season",),
    key=("season", "player_id"),  # the table holds every season
    columns=(
        season_column("silver.play_by_play season"),
        Column("player_id", pl.Int64, "NBA person id", nullable=False, source="silver.play_by_play player_id / gold.players_on_court"),
        Column("player_name", pl.String, "Player name (box score, else the feed's)", source="silver.box_score_players player_name, else silver.play_by_play player_name"),
        _clutch_count("games", "Games with clutch time on the floor", "derived: gold.players_on_court rows in clutch time"),
        Column("minutes", pl.Float64, "Clutch minutes on the floor", nullable=False,
               source="derived: gold.players_on_court, time from each clutch event to the next"),
        _clutch_count("plus_minus", "Team points minus opponent points while on the floor", "derived: gold.players_on_court and score differences of clutch events"),
        *(_clutch_count(name, meaning, _CLUTCH_EVENTS) for name, meaning in (
            ("points", "Points"), ("field_goals_made", "Field goals made"), ("field_goals_attempted", "Field goals attempted"),
            ("three_pointers_made", "Three-pointers made"), ("three_pointers_attempted", "Three-pointers attempted"),
            ("free_throws_made", "Free throws made"), ("free_throws_attempted", "Free throws attempted"),
            ("rebounds", "Rebounds"), ("turnovers", "Turnovers"), ("fouls", "Fouls"),
        )),
        _clutch_count("assists", "Assists",
                      "derived: silver.play_by_play assist_player_id of clutch made shots (every feed; v3 from the description)"),
    ),
)

_PROBABILITY = pl.col("home_win_probability").is_between(0.0, 1.0) & pl.col("home_win_probability_before").is_between(0.0, 1.0)
_MODEL = "gold.win_probability_model (LightGBM on gold.event_state, see nba_lakehouse/gold/win_probability_model.py)"

WIN_PROBABILITY = Table(
    name="win_probability",
    layer="gold",
    description="The home team's win probability before and after every event, and the win probability the event added (WPA).",
    partition_by=("season", "game_date"),
    key=("game_id", "event_order"),
    columns=(
        season_column("gold.event_state season"),
        game_date_column("gold.event_state game_date"),
        game_id_column("gold.event_state game_id"),
        Column("event_order", pl.Int32, "Event order within the game", nullable=False, source="gold.event_state event_order"),
        Column("period", pl.Int16, "Period", nullable=False, source="gold.event_state period"),
        Column("seconds_remaining_game", pl.Float64, "Seconds left in regulation; in overtime, in the overtime period", nullable=False,
               source="gold.event_state seconds_remaining_game"),
        Column("event_type", pl.String, "Unified event type", nullable=False, source="gold.event_state event_type"),
        Column("team_id", pl.Int64, "Acting team", source="gold.event_state team_id"),
        Column("home_team_id", pl.Int64, "Home team", source="gold.event_state home_team_id"),
        Column("away_team_id", pl.Int64, "Away team", source="gold.event_state away_team_id"),
        Column("home_score", pl.Int32, "Home score after the event", nullable=False, source="gold.event_state home_score"),
        Column("away_score", pl.Int32, "Away score after the event", nullable=False, source="gold.event_state away_score"),
        Column("point_differential", pl.Int32, "home_score - away_score", nullable=False, source="gold.event_state point_differential"),
        Column("home_win_probability_before", pl.Float64,
               "Home win probability before the event (the first event: the opening probability, at tip-off 0-0)", nullable=False,
               source=f"derived: the previous event's home_win_probability; the first event's from {_MODEL} at 0-0 with the game to play"),
        Column("home_win_probability", pl.Float64,
               "Home win probability after the event: exactly 1 or 0 only after the last event of a game that is over (its result)",
               nullable=False, rule=_PROBABILITY,
               source=f"derived: {_MODEL} on the state after the event (margin, time, overtime, the ball next, pregame strengths); the result once the game is over"),
        Column("home_wpa", pl.Float64, "Win probability the event added for the home team (after - before; the away team's is minus this)", nullable=False,
               source="derived: home_win_probability - home_win_probability_before"),
        Column("game_over", pl.Boolean, "The game's last event, in a game that is over", nullable=False,
               source="derived: gold.event_state: final_winning_team, or the play-by-play reached the end of a decided game (period >= 4)"),
        Column("model_id", pl.String, "The model that scored the row: its training cutoff and the first 12 hex digits of its sha256", nullable=False,
               source="gold.win_probability_model"),
    ),
)

_WPA_ROLE = "derived: gold.win_probability home_wpa (negated for the away team) of the events silver.play_by_play {column} names the player in"

PLAYER_GAME_WPA = Table(
    name="player_game_wpa",
    layer="gold",
    description="Per player per game: the win probability added by the events the player acted in, and by those the player assisted, stole, blocked or drew a foul on.",
    partition_by=("season",),
    key=("season", "game_id", "player_id"),  # the table holds every season
    columns=(
        season_column("gold.win_probability season"),
        game_id_column("gold.win_probability game_id"),
        Column("player_id", pl.Int64, "NBA person id", nullable=False, source="silver.play_by_play player_id and secondary player columns"),
        Column("team_id", pl.Int64, "The player's team", nullable=False,
               source="derived: the acting team (acting, assists), else the other team (steals, blocks, fouls drawn)"),
        Column("events", pl.Int32, "Events the player acted in (substitutions left out)", nullable=False, rule=pl.col("events") >= 0,
               source="derived: count of silver.play_by_play rows with the player as player_id"),
        Column("wpa", pl.Float64, "WPA of the events the player acted in, for the player's team", nullable=False,
               source=_WPA_ROLE.format(column="player_id (substitutions left out)")),
        Column("wpa_assists", pl.Float64, "WPA of the made shots the player assisted (the shooter has it too)", nullable=False,
               source=_WPA_ROLE.format(column="assist_player_id")),
        Column("wpa_steals", pl.Float64, "WPA of the turnovers the player forced with a steal, for the player's team", nullable=False,
               source=_WPA_ROLE.format(column="steal_player_id")),
        Column("wpa_blocks", pl.Float64, "WPA of the missed shots the player blocked, for the player's team", nullable=False,
               source=_WPA_ROLE.format(column="block_player_id")),
        Column("wpa_fouls_drawn", pl.Float64, "WPA of the fouls the player drew, for the player's team (v2, cdn; V3 names no fouled player)", nullable=False,
               source=_WPA_ROLE.format(column="foul_drawn_player_id")),
    ),
)

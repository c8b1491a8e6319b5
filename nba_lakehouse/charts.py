"""Charts of the gold tables: the flow of one game, its win probability, and starters vs bench.

Plain functions over polars frames that return a matplotlib ``Figure``. Figures are built with
the object-oriented API on an Agg canvas (no pyplot, no GUI backend, no global figure registry),
so they draw the same headless, in the demo, in tests and in a notebook (where a returned
``Figure`` displays inline). Nothing here imports Dagster: the demo and
``notebooks/lakehouse_tour.ipynb`` both draw with these functions.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path
from typing import cast

import numpy as np
import polars as pl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from nba_lakehouse.game_clock import REGULATION_PERIOD_SECONDS, REGULATION_PERIODS, seconds_elapsed
from nba_lakehouse.lake import Lake, atomic_write_file
from nba_lakehouse.schemas import EVENT_STATE, GAMES, WIN_PROBABILITY

HOME_COLOR = "#1f77b4"
AWAY_COLOR = "#d62728"
STARTER_COLOR = "#2c7fb8"
BENCH_COLOR = "#f28e2b"

# Stats compared between roles: label -> column suffix in gold.starter_splits.
SPLIT_STATS = {"minutes": "minutes", "points": "points", "rebounds": "rebounds", "assists": "assists"}

# Artist ids, so a test (or anyone) can find the plotted data again in a figure.
GID_DIFFERENTIAL = "point_differential"
GID_PERIOD_BOUNDARY = "period_boundary"
GID_WIN_PROBABILITY = "home_win_probability"
GID_EVEN = "even_chance"
GID_BIGGEST_SWINGS = "biggest_swings"
GID_STARTER_MEAN = "starter_mean"
GID_BENCH_MEAN = "bench_mean"
GID_STARTER_PLAYERS = "starter_players"
GID_BENCH_PLAYERS = "bench_players"

EVENT_COLUMNS = ("game_id", "event_order", "period", "seconds_elapsed_game", "seconds_remaining_period",
                 "home_score", "away_score", "point_differential")
WIN_PROBABILITY_COLUMNS = ("game_id", "event_order", "period", "seconds_remaining_game", "event_type", "home_score", "away_score",
                           "home_win_probability_before", "home_win_probability", "home_wpa")


def period_label(period: int) -> str:
    return f"Q{period}" if period <= 4 else f"OT{period - 4}"


def overtime_suffix(periods: int | None) -> str:
    """The title suffix for a game of that many periods: " (OT)", " (2OT)", ...; empty in regulation."""
    overtimes = (periods or 4) - 4
    return "" if overtimes <= 0 else " (OT)" if overtimes == 1 else f" ({overtimes}OT)"


def _new_figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def game_events(events: pl.DataFrame | pl.LazyFrame, game_id: str) -> pl.DataFrame:
    """One game's gold.event_state rows, in event order (only the columns the chart needs)."""
    return (
        events.lazy()
        .filter(pl.col("game_id") == game_id)
        .select(EVENT_COLUMNS)
        .sort("event_order")
        .collect()
    )


def period_spans(game: pl.DataFrame) -> pl.DataFrame:
    """``period, start, end`` in game seconds, from the data: an event's elapsed time plus the
    seconds left in its period is the end of that period (720 s periods, 300 s overtimes, as
    gold.event_state counts them); a period starts where the one before it ends."""
    return (
        game.group_by("period")
        .agg(end=(pl.col("seconds_elapsed_game") + pl.col("seconds_remaining_period")).max())
        .sort("period")
        .with_columns(start=pl.col("end").shift(1, fill_value=0.0))
        .select("period", "start", "end")
    )


def _shaded_step(ax, x: np.ndarray, y: np.ndarray, baseline: float, gid: str, baseline_gid: str | None = None) -> None:
    """A step line (each value holds until the next event), shaded above ``baseline`` in the home
    colour and below it in the away colour, with the baseline drawn."""
    ax.fill_between(x, np.clip(y, baseline, None), baseline, step="post", color=HOME_COLOR, alpha=0.25, lw=0)
    ax.fill_between(x, np.clip(y, None, baseline), baseline, step="post", color=AWAY_COLOR, alpha=0.25, lw=0)
    ax.step(x, y, where="post", color="black", lw=1.4, gid=gid)
    ax.axhline(baseline, color="grey", lw=0.8, gid=baseline_gid)


def _game_time_axis(ax, spans: pl.DataFrame, game_end: float) -> None:
    """Game time in minutes along x: a dashed line at every period boundary, the periods labelled
    Q1..Q4, OT1... at the top, ticks at the boundaries."""
    for end in spans["end"][:-1]:  # a boundary after every period but the last
        ax.axvline(end, color="grey", ls="--", lw=0.9, gid=GID_PERIOD_BOUNDARY)
    for period, start, end in spans.iter_rows():  # a handful of periods
        ax.text((start + end) / 2, 0.98, period_label(period), transform=ax.get_xaxis_transform(),
                ha="center", va="top", fontsize=10, color="dimgrey")
    ax.set_xlim(0, game_end)
    ax.set_xticks(sorted({0.0, *spans["end"].to_list()}))
    ax.xaxis.set_major_formatter(lambda value, _: f"{value:g}")
    ax.set_xlabel("game time (minutes)")
    ax.grid(axis="y", alpha=0.3)


def game_flow_figure(
    events: pl.DataFrame | pl.LazyFrame,
    game_id: str,
    title: str | None = None,
    *,
    home: str = "home",
    away: str = "away",
) -> Figure:
    """Point differential (home minus away) over game time for one game of gold.event_state.

    A step line (the margin holds until the next event), shaded in the leading team's colour,
    with a dashed line at every period boundary and the periods labelled Q1..Q4, OT1...
    ``home`` / ``away`` name the teams (tricodes) in the labels.
    """
    game = game_events(events, game_id)
    if game.is_empty():
        raise ValueError(f"no gold.event_state rows for game {game_id}")
    minutes = (game["seconds_elapsed_game"] / 60).to_numpy()
    margin = game["point_differential"].to_numpy().astype(float)
    spans = period_spans(game).with_columns(pl.col("start", "end") / 60)
    game_end = float(cast(float, spans["end"].max()))  # a float column of a non-empty frame

    # Carry the last margin to the final buzzer, so the line spans the whole game.
    x = np.append(minutes, game_end) if minutes[-1] < game_end else minutes
    y = np.append(margin, margin[-1]) if minutes[-1] < game_end else margin

    fig = _new_figure(11, 4.8)
    ax = fig.add_subplot()
    _shaded_step(ax, x, y, 0.0, GID_DIFFERENTIAL)
    _game_time_axis(ax, spans, game_end)
    reach = max(float(np.abs(margin).max()), 5.0) + 3
    ax.set_ylim(-reach, reach * 1.12)  # headroom for the period labels
    ax.set_ylabel(f"{home} − {away} (points)")

    last = game.row(-1, named=True)
    ax.annotate(f"{last['point_differential']:+d}", (game_end, margin[-1]), xytext=(4, 0),
                textcoords="offset points", va="center", fontsize=9, annotation_clip=False)
    ax.legend(
        handles=[Patch(color=HOME_COLOR, alpha=0.35, label=f"{home} ahead"),
                 Patch(color=AWAY_COLOR, alpha=0.35, label=f"{away} ahead")],
        loc="lower left", fontsize=9, framealpha=0.9,
    )
    ax.set_title(title or (
        f"Game flow {game_id}: {away} {last['away_score']} @ {home} {last['home_score']}"
        f"{overtime_suffix(int(cast(int, spans['period'].max())))}"
    ))
    return fig


def clock_label(seconds: float) -> str:
    """Seconds left in a period as the game clock shows them: "5:07", "0:35.2" under a minute."""
    if seconds < 60 and seconds != int(seconds):
        return f"0:{seconds:04.1f}"
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def game_win_probability(rows: pl.DataFrame | pl.LazyFrame, game_id: str) -> pl.DataFrame:
    """One game's gold.win_probability rows in event order, with the game clock they imply:
    ``seconds_remaining_period`` (in regulation, seconds_remaining_game less the whole periods
    still to play; in overtime the two are the same) and ``seconds_elapsed_game``, as
    gold.event_state derives them from the same clock."""
    whole_periods_left = (REGULATION_PERIODS - pl.col("period").cast(pl.Float64)).clip(lower_bound=0)
    return (
        rows.lazy()
        .filter(pl.col("game_id") == game_id)
        .select(WIN_PROBABILITY_COLUMNS)
        .sort("event_order")
        .with_columns(seconds_remaining_period=pl.col("seconds_remaining_game") - whole_periods_left * REGULATION_PERIOD_SECONDS)
        .with_columns(seconds_elapsed_game=seconds_elapsed(pl.col("period"), pl.col("seconds_remaining_period")))
        .collect()
    )


def biggest_swings(game: pl.DataFrame, n: int = 3) -> pl.DataFrame:
    """The ``n`` events of a game with the largest |home_wpa|, largest first (earlier first on a tie)."""
    return game.sort(pl.col("home_wpa").abs(), pl.col("event_order"), descending=[True, False]).head(n)


def win_probability_figure(
    rows: pl.DataFrame | pl.LazyFrame,
    game_id: str,
    title: str | None = None,
    *,
    home: str = "home",
    away: str = "away",
    marked: int = 3,
) -> Figure:
    """The home team's win probability over game time for one game of gold.win_probability.

    A step line from the opening probability at tip-off (each event's probability holds until the
    next event), shaded in the colour of the team it favours, with a line at 0.5, a dashed line
    at every period boundary, the periods labelled, and the ``marked`` events with the largest
    |WPA| circled, numbered and described below the chart (event, period, clock, WPA).
    """
    game = game_win_probability(rows, game_id)
    if game.is_empty():
        raise ValueError(f"no gold.win_probability rows for game {game_id}")
    minutes = (game["seconds_elapsed_game"] / 60).to_numpy()
    probability = game["home_win_probability"].to_numpy()
    spans = period_spans(game).with_columns(pl.col("start", "end") / 60)
    game_end = float(cast(float, spans["end"].max()))

    # The opening probability at tip-off, then every event's; the last one carried to the buzzer.
    x = np.concatenate([[0.0], minutes])
    y = np.concatenate([[float(game["home_win_probability_before"][0])], probability])
    if x[-1] < game_end:
        x, y = np.append(x, game_end), np.append(y, y[-1])

    fig = _new_figure(11, 4.8)
    ax = fig.add_subplot()
    _shaded_step(ax, x, y, 0.5, GID_WIN_PROBABILITY, baseline_gid=GID_EVEN)
    _game_time_axis(ax, spans, game_end)

    # The biggest swings circled and numbered on the line, described in a key below the chart
    # (they often come minutes apart, late in a close game: labels on the line would overlap).
    swings = biggest_swings(game, marked).with_columns(minutes=pl.col("seconds_elapsed_game") / 60)
    ax.scatter(swings["minutes"], swings["home_win_probability"], s=80, facecolors="none", edgecolors="black",
               lw=1.4, zorder=3, gid=GID_BIGGEST_SWINGS)
    keys = []
    for rank, (event_type, period, clock, wpa, at, after) in enumerate(swings.select(
        "event_type", "period", "seconds_remaining_period", "home_wpa", "minutes", "home_win_probability"
    ).iter_rows(), start=1):  # a few annotations
        ax.annotate(str(rank), (at, after), xytext=(5, 5), textcoords="offset points", fontsize=8, fontweight="bold",
                    bbox={"boxstyle": "circle,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.8})
        keys.append(Line2D([], [], ls="none", marker="o", mfc="none", mec="black", label=(
            f"{rank}: {event_type.replace('_', ' ')}, {period_label(period)} {clock_label(clock)}, {home} WPA {wpa:+.3f}")))
    if keys:
        fig.legend(handles=keys, loc="outside lower center", ncol=len(keys), fontsize=8.5, frameon=False,
                   title=f"The {len(keys)} plays that moved the win probability most", title_fontsize=8.5)

    ax.set_ylim(-0.02, 1.1)  # headroom for the period labels
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1])
    ax.set_ylabel(f"{home} win probability")
    ax.legend(
        handles=[Patch(color=HOME_COLOR, alpha=0.35, label=f"{home} favoured"),
                 Patch(color=AWAY_COLOR, alpha=0.35, label=f"{away} favoured")],
        loc="lower left", fontsize=9, framealpha=0.9,
    )
    last = game.row(-1, named=True)
    ax.set_title(title or (
        f"Win probability {game_id}: {away} {last['away_score']} @ {home} {last['home_score']}"
        f"{overtime_suffix(int(cast(int, spans['period'].max())))}"
    ))
    return fig


def role_means(splits: pl.DataFrame) -> pl.DataFrame:
    """Per role (starter, bench), the average line per appearance over every player: each
    player's per-role average weighted by his games in that role."""
    rows = []
    for role, games in (("starter", "games_started"), ("bench", "games_bench")):
        rows.append(splits.select(
            role=pl.lit(role),
            **{
                label: (pl.col(f"{role}_{stat}") * pl.col(games)).sum()
                / pl.col(games).filter(pl.col(f"{role}_{stat}").is_not_null()).sum()
                for label, stat in SPLIT_STATS.items()
            },
        ))
    return pl.concat(rows)


def starter_bench_figure(splits: pl.DataFrame | pl.LazyFrame, top: int = 6, title: str | None = None) -> Figure:
    """Starters vs bench from gold.starter_splits.

    Left: the average line per game (minutes, points, rebounds, assists) as a starter and off
    the bench. Right: every player and role as a dot, minutes against points per game, the
    ``top`` scorers named; a player who both started and came off the bench in a season gets
    two dots joined by a line.
    """
    splits = splits.lazy().collect()
    means = role_means(splits)
    starter = means.filter(pl.col("role") == "starter").row(0, named=True)
    bench = means.filter(pl.col("role") == "bench").row(0, named=True)

    fig = _new_figure(13, 5.2)
    left, right = fig.subplots(1, 2, width_ratios=[1, 1.35])

    labels = list(SPLIT_STATS)
    xs = np.arange(len(labels))
    width = 0.38
    bars_s = left.bar(xs - width / 2, [starter[k] for k in labels], width, color=STARTER_COLOR,
                      label=f"starters ({int(splits['games_started'].sum())} games)", gid=GID_STARTER_MEAN)
    bars_b = left.bar(xs + width / 2, [bench[k] for k in labels], width, color=BENCH_COLOR,
                      label=f"bench ({int(splits['games_bench'].sum())} games)", gid=GID_BENCH_MEAN)
    for bars in (bars_s, bars_b):
        left.bar_label(bars, fmt="%.1f", fontsize=8, padding=2)
    left.set_xticks(xs, labels)
    left.set_ylabel("per game")
    left.set_title("Average line per game, by role")
    left.legend(fontsize=9)
    left.grid(axis="y", alpha=0.3)

    lines = pl.concat([
        splits.select("season", "player_id", "player_name", role=pl.lit(role),
                      minutes=pl.col(f"{role}_minutes"), points=pl.col(f"{role}_points"))
        for role in ("starter", "bench")
    ]).drop_nulls(["minutes", "points"])
    both = (
        lines.group_by("season", "player_id").agg(pl.col("minutes", "points").sort_by("role"), pl.len())
        .filter(pl.col("len") == 2)
    )
    for player_minutes, player_points in both.select("minutes", "points").iter_rows():
        right.plot(player_minutes, player_points, color="grey", lw=0.8, alpha=0.7, zorder=1)
    for role, color, gid in (("starter", STARTER_COLOR, GID_STARTER_PLAYERS), ("bench", BENCH_COLOR, GID_BENCH_PLAYERS)):
        part = lines.filter(pl.col("role") == role)
        right.scatter(part["minutes"], part["points"], s=28, color=color, alpha=0.85, zorder=2,
                      label=f"{role} ({part.height})", gid=gid)
    flip_at = float(cast(float, lines["minutes"].max()) or 0) * 0.3  # names to the left of their dots, but near the y axis
    for name, season, mins, pts in lines.sort("points", descending=True).head(top).select(
        "player_name", "season", "minutes", "points"
    ).iter_rows():
        left_side = mins > flip_at
        right.annotate(f"{name} {season}", (mins, pts), xytext=(-5 if left_side else 5, 3),
                       textcoords="offset points", ha="right" if left_side else "left", fontsize=7.5)
    right.set_xlabel("minutes per game")
    right.set_ylabel("points per game")
    right.set_title("Each player's games by role" + (
        f" ({both.height} with both roles in a season: joined)" if both.height
        else " (no player had both roles in one season)"))
    right.legend(fontsize=9, loc="upper left")
    right.grid(alpha=0.3)
    fig.suptitle(title or f"Starters vs bench: {splits.height} player-seasons, "
                 f"{splits['season'].n_unique()} season(s)")
    return fig


def figure_png(fig: Figure, dpi: int = 120) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def save_png(fig: Figure, path: str | os.PathLike, dpi: int = 120) -> Path:
    """Write the figure as a PNG: to a temporary name beside it, renamed into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_file(path, figure_png(fig, dpi))
    return path


def _lake(lake_or_root):
    """A ``Lake`` for a lake or a root (a directory, or ``s3://...`` with the S3 settings of the
    environment)."""
    return lake_or_root if isinstance(lake_or_root, Lake) else Lake(str(lake_or_root))


def read_game_events(lake_or_root, game_id: str, game_date: dt.date | None = None) -> pl.DataFrame:
    """One game's gold.event_state rows, read through the ``Lake`` (a ``Lake`` or a root): only
    ``game_date`` when given or when silver.games knows the game's date, else every date."""
    return _read_game_rows(lake_or_root, EVENT_STATE, EVENT_COLUMNS, game_events, game_id, game_date, "materialize event_state first")


def _read_game_rows(lake_or_root, table, columns, pick, game_id: str, game_date: dt.date | None, remedy: str) -> pl.DataFrame:
    """``pick(rows, game_id)`` of ``table``'s rows of the game's date (every date when unknown);
    a table with no file at all is an error naming ``remedy``."""
    lake = _lake(lake_or_root)
    if game_date is None:
        game = read_game_row(lake, game_id)
        game_date = game["game_date"] if game is not None else None
    dates = [game_date] if game_date is not None else None
    rows = pick(lake.read_table(table, game_dates=dates, columns=columns), game_id)
    if rows.is_empty() and not lake.partition_files(table):
        raise ValueError(f"no {table.layer}.{table.name} in the lake at {lake.root_uri}: {remedy}")
    return rows


def read_game_row(lake_or_root, game_id: str) -> dict | None:
    """The silver.games row of a game (teams, date, scores), or None when there is none."""
    rows = _lake(lake_or_root).read_table(GAMES).filter(pl.col("game_id") == game_id)
    return rows.row(0, named=True) if rows.height else None


def game_title(game: dict) -> str:
    """A silver.games row as e.g. "CHI 134 @ CLE 145 (OT), 2023-01-02 (game 0022200552)"."""
    return (f"{game['away_team_tricode']} {game['away_score']} @ {game['home_team_tricode']} "
            f"{game['home_score']}{overtime_suffix(game.get('periods'))}, {game['game_date']} "
            f"(game {game['game_id']})")


def save_game_flow_png(
    lake_root_or_events,
    game_id: str,
    path: str | os.PathLike,
    *,
    title: str | None = None,
    home: str | None = None,
    away: str | None = None,
    dpi: int = 120,
) -> Path:
    """Draw ``game_flow_figure`` for one game and write it as a PNG at ``path``.

    Give a lake (a ``Lake``, a directory or an ``s3://`` root: the chart reads gold.event_state,
    and names the teams from silver.games when it is there) or event_state rows.
    """
    if isinstance(lake_root_or_events, (pl.DataFrame, pl.LazyFrame)):
        events = game_events(lake_root_or_events, game_id)
    else:
        game = read_game_row(lake_root_or_events, game_id)
        events = read_game_events(lake_root_or_events, game_id, game["game_date"] if game is not None else None)
        if game is not None:
            home = home or game["home_team_tricode"]
            away = away or game["away_team_tricode"]
            title = title or f"Game flow: {game_title(game)}"
    fig = game_flow_figure(events, game_id, title, home=home or "home", away=away or "away")
    return save_png(fig, path, dpi)


def read_game_win_probability(lake_or_root, game_id: str, game_date: dt.date | None = None) -> pl.DataFrame:
    """One game's gold.win_probability rows (``game_win_probability``), read through the ``Lake``:
    only ``game_date`` when given or when silver.games knows the game's date, else every date."""
    return _read_game_rows(
        lake_or_root, WIN_PROBABILITY, WIN_PROBABILITY_COLUMNS, game_win_probability, game_id, game_date,
        "materialize win_probability_model, then win_probability",
    )


def save_win_probability_png(
    lake_root_or_rows,
    game_id: str,
    path: str | os.PathLike,
    game_date: dt.date | None = None,
    *,
    title: str | None = None,
    home: str | None = None,
    away: str | None = None,
    dpi: int = 120,
) -> Path:
    """Draw ``win_probability_figure`` for one game and write it as a PNG at ``path``.

    Give a lake (a ``Lake``, a directory or an ``s3://`` root: the chart reads gold.win_probability
    of ``game_date``, or of the game's date in silver.games, and names the teams from silver.games
    when it is there) or gold.win_probability rows. With ``game_date``, ``home`` and ``away`` all
    given, silver.games is not read.
    """
    if isinstance(lake_root_or_rows, (pl.DataFrame, pl.LazyFrame)):
        rows = game_win_probability(lake_root_or_rows, game_id)
    else:
        game = None if game_date is not None and home and away else read_game_row(lake_root_or_rows, game_id)
        if game is not None:
            game_date = game_date or game["game_date"]
            home = home or game["home_team_tricode"]
            away = away or game["away_team_tricode"]
            title = title or f"Win probability: {game_title(game)}"
        rows = read_game_win_probability(lake_root_or_rows, game_id, game_date)
    fig = win_probability_figure(rows, game_id, title, home=home or "home", away=away or "away")
    return save_png(fig, path, dpi)

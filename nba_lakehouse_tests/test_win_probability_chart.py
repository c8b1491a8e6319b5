"""The win-probability chart of a game, drawn from the demo lake's gold.win_probability (the four
recorded sample games scored by the bundled model), checked against independent tables: the game
clock against gold.event_state, the result against the box scores, the marked plays against the
table's own WPA ranked here."""

import datetime as dt
import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import nba_lakehouse.charts as charts
from nba_lakehouse.charts import (
    GID_BIGGEST_SWINGS,
    GID_EVEN,
    GID_PERIOD_BOUNDARY,
    GID_WIN_PROBABILITY,
    clock_label,
    save_win_probability_png,
    win_probability_figure,
)
from nba_lakehouse.lake import Lake
from nba_lakehouse.schemas import TABLES, WIN_PROBABILITY
from nba_lakehouse_tests.test_notebook import artists, assert_reasonable_png, final_margins


@pytest.fixture(scope="module")
def lake(demo_lake):
    root, _ = demo_lake
    read = Lake(str(root)).read_table
    games = read(TABLES["games"]).filter(pl.col("play_by_play_source").is_not_null())
    return {
        "root": Path(root),
        "wp": read(WIN_PROBABILITY),
        "events": read(TABLES["event_state"]).select("game_id", "event_order", "seconds_elapsed_game"),
        "games": games,
        "box_teams": read(TABLES["box_score_teams"]),
    }


def sample_games(lake) -> list[tuple[str, int]]:
    return lake["games"].select("game_id", "periods").sort("game_id").rows()


def test_every_sample_game_is_scored(lake):
    assert sorted(lake["wp"]["game_id"].unique()) == sorted(lake["games"]["game_id"]) and lake["games"].height == 4


@pytest.mark.parametrize("index", range(4))
def test_the_line_is_every_event_at_its_game_time(lake, index):
    game_id, periods = sample_games(lake)[index]
    rows = lake["wp"].filter(pl.col("game_id") == game_id).sort("event_order")
    # The game clock of every event from gold.event_state, not from the chart's own derivation.
    elapsed = rows.join(lake["events"], on=["game_id", "event_order"], how="left")["seconds_elapsed_game"]
    assert elapsed.null_count() == 0
    game_minutes = 48 + 5 * (periods - 4)

    ax = win_probability_figure(lake["wp"], game_id, home="H", away="A").axes[0]
    (line,) = artists(ax, GID_WIN_PROBABILITY)
    x, y = np.asarray(line.get_xdata(), dtype=float), np.asarray(line.get_ydata(), dtype=float)
    assert line.get_drawstyle() == "steps-post"
    # Tip-off with the opening probability, then one point per event, then (if the last event
    # comes before the buzzer) the last probability carried to it.
    carried = int(elapsed[-1] / 60 < game_minutes - 1e-9)
    assert len(x) == rows.height + 1 + carried, (game_id, len(x), rows.height)
    assert x[0] == 0 and y[0] == rows["home_win_probability_before"][0]
    assert x[1:rows.height + 1] == pytest.approx((elapsed / 60).to_numpy())
    assert np.array_equal(y[1:rows.height + 1], rows["home_win_probability"].to_numpy())
    assert x[-1] == pytest.approx(game_minutes) and ax.get_xlim() == pytest.approx((0, game_minutes))
    assert np.all(np.diff(x) >= 0), "game time runs backwards"
    assert np.all((y >= 0) & (y <= 1))

    # It ends on the real result: the box score's home margin.
    assert y[-1] == float(final_margins(lake["box_teams"], lake["games"])[game_id] > 0)

    (even,) = artists(ax, GID_EVEN)
    assert list(even.get_ydata()) == [0.5, 0.5]
    boundaries = artists(ax, GID_PERIOD_BOUNDARY)
    expected = [12 * p if p <= 4 else 48 + 5 * (p - 4) for p in range(1, periods)]
    assert sorted(b.get_xdata()[0] for b in boundaries) == pytest.approx(expected)
    labels = [t.get_text() for t in ax.texts if re.fullmatch(r"Q\d|OT\d", t.get_text())]
    assert labels == [f"Q{p}" if p <= 4 else f"OT{p - 4}" for p in range(1, periods + 1)]


@pytest.mark.parametrize("index", range(4))
def test_the_three_biggest_swings_are_marked(lake, index):
    game_id, _ = sample_games(lake)[index]
    rows = lake["wp"].filter(pl.col("game_id") == game_id).join(lake["events"], on=["game_id", "event_order"])
    # Ranked here with numpy: the largest |home_wpa|, the earlier event first on a tie.
    wpa, order = rows["home_wpa"].to_numpy(), rows["event_order"].to_numpy()
    top = np.lexsort((order, -np.abs(wpa)))[:3]
    assert np.all(np.abs(wpa[top]) > 0), "no real swing to mark"

    fig = win_probability_figure(lake["wp"], game_id, home="H", away="A")
    (marks,) = artists(fig.axes[0], GID_BIGGEST_SWINGS)
    offsets = np.asarray(marks.get_offsets())
    expected = np.column_stack([rows["seconds_elapsed_game"].to_numpy()[top] / 60, rows["home_win_probability"].to_numpy()[top]])
    assert offsets == pytest.approx(expected)
    # Numbered on the line, and described in the key with their WPA, largest first.
    assert [t.get_text() for t in fig.axes[0].texts if t.get_text().isdigit()] == ["1", "2", "3"]
    (key,) = fig.legends
    described = [t.get_text() for t in key.get_texts()]
    assert [float(re.search(r"WPA ([+-]\d\.\d{3})$", d).group(1)) for d in described] == pytest.approx(wpa[top], abs=5e-4)
    assert all(d.startswith(f"{i}: {rows['event_type'][int(j)].replace('_', ' ')}, ") for i, (d, j) in enumerate(zip(described, top, strict=True), 1))


def test_the_png_from_the_lake_names_the_teams_and_reads_one_date(lake, tmp_path, monkeypatch):
    game_id = "0022200552"
    game = lake["games"].filter(pl.col("game_id") == game_id).row(0, named=True)
    reads, figures = [], []
    read_table = Lake.read_table

    def spy(self, table, *args, **kwargs):
        reads.append((table.name, kwargs.get("game_dates")))
        return read_table(self, table, *args, **kwargs)

    def keep(fig, path, dpi=120):
        figures.append(fig)
        return save_png(fig, path, dpi)

    save_png = charts.save_png
    monkeypatch.setattr(Lake, "read_table", spy)
    monkeypatch.setattr(charts, "save_png", keep)
    path = save_win_probability_png(lake["root"], game_id, tmp_path / "wp.png")
    assert path == tmp_path / "wp.png"
    assert_reasonable_png(path)
    # One read of gold.win_probability, of the game's date alone (found in silver.games).
    assert [r for r in reads if r[0] == "win_probability"] == [("win_probability", [game["game_date"]])]

    (fig,) = figures
    ax = fig.axes[0]
    home, away = game["home_team_tricode"], game["away_team_tricode"]
    assert ax.get_ylabel() == f"{home} win probability"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [f"{home} favoured", f"{away} favoured"]
    assert f"{away} {game['away_score']} @ {home} {game['home_score']}" in ax.get_title()


def test_the_chart_of_an_unknown_game_fails(lake, tmp_path):
    with pytest.raises(ValueError, match="0029999999"):
        save_win_probability_png(lake["root"], "0029999999", tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_a_lake_without_win_probability_says_what_to_materialize(tmp_path):
    with pytest.raises(ValueError, match="materialize win_probability_model"):
        save_win_probability_png(tmp_path, "0022200552", tmp_path / "x.png", dt.date(2023, 1, 2), home="CLE", away="CHI")


def test_clock_label():
    assert [clock_label(s) for s in (720.0, 65.0, 37.0, 8.4, 0.0)] == ["12:00", "1:05", "0:37", "0:08.4", "0:00"]

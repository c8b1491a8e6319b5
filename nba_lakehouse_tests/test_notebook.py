"""The analysts' notebook, run headless on the demo's lake, and the charts it and the demo draw,
checked against independent tables (box scores, games)."""

import re
import struct
from pathlib import Path

import nbformat
import numpy as np
import polars as pl
import pytest
from nbclient import NotebookClient

from nba_lakehouse.charts import (
    GID_BENCH_MEAN,
    GID_BENCH_PLAYERS,
    GID_DIFFERENTIAL,
    GID_PERIOD_BOUNDARY,
    GID_STARTER_MEAN,
    GID_STARTER_PLAYERS,
    game_flow_figure,
    role_means,
    save_game_flow_png,
    starter_bench_figure,
)
from nba_lakehouse.demo import print_summary
from nba_lakehouse.lake import Lake
from nba_lakehouse.schemas import TABLES

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "lakehouse_tour.ipynb"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CELL_TIMEOUT_S = 120


def read_lake(root: Path, table: str) -> pl.DataFrame:
    return Lake(str(root)).read_table(TABLES[table])


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's header, after checking it is one."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    assert data[12:16] == b"IHDR", f"{path} has no PNG header chunk"
    assert data[-8:-4] == b"IEND", f"{path} is truncated"
    return struct.unpack(">II", data[16:24])


def assert_reasonable_png(path: Path, min_bytes: int = 15_000) -> None:
    assert path.is_file(), f"no PNG at {path}"
    width, height = png_size(path)
    assert 800 <= width <= 3000 and 400 <= height <= 2000, (path, width, height)
    assert path.stat().st_size >= min_bytes, f"{path} is only {path.stat().st_size} bytes: an empty chart?"


@pytest.fixture(scope="module")
def lake(demo_lake):
    root, result = demo_lake
    return {
        "root": Path(root),
        "result": result,
        "events": read_lake(Path(root), "event_state"),
        "splits": read_lake(Path(root), "starter_splits"),
        "games": read_lake(Path(root), "games").filter(pl.col("play_by_play_source").is_not_null()),
        "box_teams": read_lake(Path(root), "box_score_teams"),
        "box_players": read_lake(Path(root), "box_score_players"),
        "player_wpa": read_lake(Path(root), "player_game_wpa"),
        "players": read_lake(Path(root), "players"),
        "wp": read_lake(Path(root), "win_probability"),
    }


def test_notebook_is_committed_clean():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code, "the notebook has no code"
    assert all(cell.outputs == [] and cell.execution_count is None for cell in code), "commit it without outputs"
    assert NOTEBOOK.stat().st_size < 20_000
    source = "\n".join(cell.source for cell in code)
    assert not re.search(r"^\s*(import|from)\s+dagster\b", source, re.MULTILINE), "the notebook imports Dagster"
    assert "NBA_LAKE_ROOT" in code[0].source and "NOTEBOOK_OUTPUT_DIR" in code[0].source


def test_notebook_runs_headless_and_writes_both_charts(lake, tmp_path, monkeypatch, python3_kernel):
    game_id = "0022200552"
    out = tmp_path / "out"
    monkeypatch.setenv("NBA_LAKE_ROOT", str(lake["root"]))
    monkeypatch.setenv("NOTEBOOK_OUTPUT_DIR", str(out))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        nb, kernel_name=python3_kernel, timeout=CELL_TIMEOUT_S, allow_errors=True,
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()

    outputs = [(i, o) for i, cell in enumerate(nb.cells) if cell.cell_type == "code" for o in cell.outputs]
    errors = [f"cell {i}: {o.ename}: {o.evalue}" for i, o in outputs if o.output_type == "error"]
    assert not errors, errors
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert all(cell.execution_count for cell in code), "a cell did not run"
    # It read the lake it was pointed at, not the repository's data/.
    assert any(str(lake["root"].resolve()) in o.get("text", "") for _, o in outputs if o.output_type == "stream")
    # The three charts shown inline, and the games table lists the demo's four games.
    assert sum("image/png" in o.get("data", {}) for _, o in outputs) == 3
    html = "".join(o.get("data", {}).get("text/html", "") for _, o in outputs)
    assert all(gid in html for gid in lake["games"]["game_id"])
    # The top-5 player WPA table: the five largest wpa of gold.player_game_wpa, named.
    top = lake["player_wpa"].sort("wpa", descending=True).head(5)
    (table,) = [h for h in (o.get("data", {}).get("text/html", "") for _, o in outputs) if "wpa_assists" in h]
    shown = [float(v) for v in re.findall(r"<td>(-?\d+\.\d+)</td>", table)]
    assert shown[::2] == pytest.approx(top["wpa"].round(3).to_list()), table
    assert all(name in table for name in top.join(lake["players"], on="player_id")["player_name"])

    charts = [f"game_flow_{game_id}.png", f"win_probability_{game_id}.png", "starter_bench.png"]
    assert sorted(p.name for p in out.iterdir()) == sorted(charts)
    for name in charts:
        assert_reasonable_png(out / name)


def final_margins(box_teams: pl.DataFrame, games: pl.DataFrame) -> dict[str, int]:
    """Home minus away points at the end of each game, from the box score's team lines."""
    sides = games.select("game_id", "home_team_id", "away_team_id")
    joined = box_teams.join(sides, on="game_id").with_columns(
        signed=pl.when(pl.col("team_id") == pl.col("home_team_id")).then(pl.col("points"))
        .when(pl.col("team_id") == pl.col("away_team_id")).then(-pl.col("points"))
    )
    per_game = joined.group_by("game_id").agg(pl.col("signed").sum(), lines=pl.col("signed").is_not_null().sum())
    assert (per_game["lines"] == 2).all(), per_game
    return dict(per_game.select("game_id", "signed").iter_rows())


def artists(ax, gid):
    return [a for a in ax.get_children() if a.get_gid() == gid]


def test_game_flow_agrees_with_box_scores_and_periods(lake):
    games = lake["games"]
    margins = final_margins(lake["box_teams"], games)
    assert sorted(margins) == sorted(games["game_id"]) and len(margins) == 4
    for game_id, periods in games.select("game_id", "periods").iter_rows():
        fig = game_flow_figure(lake["events"], game_id, home="H", away="A")
        ax = fig.axes[0]
        (line,) = artists(ax, GID_DIFFERENTIAL)
        x, y = np.asarray(line.get_xdata()), np.asarray(line.get_ydata())
        assert y[-1] == margins[game_id], (game_id, y[-1], margins[game_id])
        assert line.get_drawstyle() == "steps-post"
        assert np.all(np.diff(x) >= 0), "game time runs backwards"
        # The whole game: tip-off to the final buzzer of the last period.
        game_minutes = 48 + 5 * (periods - 4)
        assert x[0] == 0 and x[-1] == pytest.approx(game_minutes)
        assert ax.get_xlim() == pytest.approx((0, game_minutes))

        boundaries = artists(ax, GID_PERIOD_BOUNDARY)
        assert len(boundaries) == periods - 1, (game_id, len(boundaries), periods)
        expected = [12 * p if p <= 4 else 48 + 5 * (p - 4) for p in range(1, periods)]
        assert sorted(b.get_xdata()[0] for b in boundaries) == pytest.approx(expected)
        labels = [t.get_text() for t in ax.texts if re.fullmatch(r"Q\d|OT\d", t.get_text())]
        assert labels == [f"Q{p}" if p <= 4 else f"OT{p - 4}" for p in range(1, periods + 1)]


def test_game_flow_of_an_unknown_game_fails(lake, tmp_path):
    with pytest.raises(ValueError, match="0029999999"):
        save_game_flow_png(lake["root"], "0029999999", tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_starter_bench_agrees_with_box_scores(lake):
    players = lake["box_players"]
    starters = players.filter(pl.col("starter"))
    bench = players.filter(pl.col("played") & ~pl.col("starter"))
    assert starters.height == 40 and bench.height > 0  # 4 games x 2 teams x 5 starters

    fig = starter_bench_figure(lake["splits"])
    ax_means, ax_players = fig.axes
    for gid, rows in ((GID_STARTER_MEAN, starters), (GID_BENCH_MEAN, bench)):
        heights = [bar.get_height() for bar in artists(ax_means, gid)]
        expected = [rows[c].mean() for c in ("minutes", "points", "rebounds_total", "assists")]
        assert heights == pytest.approx(expected), gid
    # One dot per player-season and role.
    for gid, rows in ((GID_STARTER_PLAYERS, starters), (GID_BENCH_PLAYERS, bench)):
        (dots,) = artists(ax_players, gid)
        assert len(dots.get_offsets()) == rows.select("season", "player_id").n_unique(), gid
    # The best scoring line is named: Donovan Mitchell's 71.
    assert any(t.get_text().startswith(players.sort("points")["player_name"][-1]) for t in ax_players.texts)


def test_role_means_weigh_players_by_games():
    """A player's role average counts once per game in that role (the sample lake has one game per
    player and season, where weighting changes nothing)."""
    splits = pl.DataFrame({
        "games_started": [3, 1, 0], "games_bench": [0, 2, 4],
        **{f"starter_{s}": [10.0, 20.0, None] for s in ("minutes", "points", "rebounds", "assists")},
        **{f"bench_{s}": [None, 4.0, 1.0] for s in ("minutes", "points", "rebounds", "assists")},
    })
    means = role_means(splits)
    assert means["role"].to_list() == ["starter", "bench"]
    assert means.row(0, named=True)["points"] == pytest.approx((3 * 10 + 20) / 4)
    assert means.row(1, named=True)["points"] == pytest.approx((2 * 4 + 4 * 1) / 6)


def test_demo_writes_the_game_flow_png_where_the_summary_says(lake, capsys):
    result = lake["result"]
    print_summary(result)
    printed = capsys.readouterr().out
    match = re.search(r"^Game-flow chart: (.+\.png)$", printed, re.MULTILINE)
    assert match, printed[-2000:]
    path = Path(match.group(1))
    assert str(path) == result.game_flow_png
    assert path == lake["root"].resolve() / "charts" / "game_flow_0022200552.png"
    assert_reasonable_png(path)
    assert "CHI @ CLE" in printed[match.end():].splitlines()[1]


def test_demo_writes_the_win_probability_png_beside_the_game_flow_png(lake, capsys):
    result = lake["result"]
    print_summary(result)
    printed = capsys.readouterr().out
    match = re.search(r"^Win-probability chart: (.+\.png)$", printed, re.MULTILINE)
    assert match, printed[-2000:]
    path = Path(match.group(1))
    assert str(path) == result.win_probability_png
    assert path == Path(result.game_flow_png).with_name("win_probability_0022200552.png")
    assert_reasonable_png(path)


def test_demo_summary_shows_each_games_opening_and_biggest_play(lake, capsys):
    """The demo's win probability table, against gold.win_probability read straight from the Parquet."""
    result = lake["result"]
    shown = result.win_probability
    assert shown is not None and shown.height == 4
    wp = lake["wp"].join(lake["games"].select("game_id", "game_date"), on="game_id")
    for row in shown.iter_rows(named=True):
        game = wp.filter(pl.col("game_date") == row["game_date"]).sort("event_order")
        assert row["home_opening"] == pytest.approx(game["home_win_probability_before"][0], abs=5e-4)
        biggest = game.row(int(np.argmax(np.abs(game["home_wpa"].to_numpy()))), named=True)
        assert row["home_wpa"] == pytest.approx(biggest["home_wpa"], abs=5e-4)
        assert row["biggest_play"].startswith(biggest["event_type"])
        assert row["period"] == (f"Q{biggest['period']}" if biggest["period"] <= 4 else f"OT{biggest['period'] - 4}")
    print_summary(result)
    printed = capsys.readouterr().out
    assert "DuckDB over gold.win_probability" in printed
    assert all(play in printed for play in shown["biggest_play"])


def test_the_chart_module_reads_parquet_without_loading_dagster():
    """The notebook imports nba_lakehouse.charts; an analyst's kernel should not pay for Dagster."""
    import subprocess
    import sys

    probe = "import sys, nba_lakehouse.charts, nba_lakehouse.lake; print('dagster' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"

"""The generated data dictionary (docs/data_dictionary.md) against the declared schemas."""

import re
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from nba_lakehouse import data_dictionary
from nba_lakehouse.data_dictionary import DOC_PATH, REGENERATE, render
from nba_lakehouse.schemas import TABLES, Column, Table

HEADING = re.compile(r"^### (\w+)\.(\w+)$")
CELL_SPLIT = re.compile(r"(?<!\\)\|")


def parse_dictionary(text: str) -> dict[str, list[dict[str, str]]]:
    """``{"layer.table": [column rows in document order]}`` read from the markdown itself."""
    tables: dict[str, list[dict[str, str]]] = {}
    current: list[dict[str, str]] | None = None
    header: list[str] | None = None
    for line in text.splitlines():
        if match := HEADING.match(line):
            current = tables.setdefault(f"{match[1]}.{match[2]}", [])
            header = None
        elif line.startswith("#"):
            current, header = None, None
        elif current is not None and line.startswith("|"):
            cells = [c.strip().replace(r"\|", "|") for c in CELL_SPLIT.split(line.strip())[1:-1]]
            if header is None:
                header = cells
            elif not all(set(c) <= {"-", ":"} for c in cells):
                row = dict(zip(header, cells, strict=True))
                row["column"] = row["column"].strip("`")
                row["type"] = row["type"].strip("`")
                current.append(row)
    return tables


@pytest.fixture(scope="module")
def committed() -> str:
    assert DOC_PATH.exists(), f"{DOC_PATH} is missing; generate it with `{REGENERATE}`"
    return DOC_PATH.read_text(encoding="utf-8")


def test_committed_file_is_the_rendered_schemas(committed):
    assert committed == render(), (
        f"{DOC_PATH} is out of date with nba_lakehouse/schemas.py; regenerate it with `{REGENERATE}`"
    )


def test_every_table_and_column_is_documented_with_its_type(committed):
    documented = parse_dictionary(committed)
    missing_tables = [f"{t.layer}.{t.name}" for t in TABLES.values() if f"{t.layer}.{t.name}" not in documented]
    assert not missing_tables, f"tables missing from {DOC_PATH.name}: {missing_tables}"
    wrong = []
    for table in TABLES.values():
        types = {row["column"]: row["type"] for row in documented[f"{table.layer}.{table.name}"]}
        wrong += [
            f"{table.layer}.{table.name}.{c.name}: documented {types.get(c.name)!r}, declared {str(c.dtype)!r}"
            for c in table.columns if types.get(c.name) != str(c.dtype)
        ]
    assert not wrong, "columns missing or with the wrong type:\n" + "\n".join(wrong)


def test_every_column_has_a_description_and_source_fields():
    blank = [
        f"{t.layer}.{t.name}.{c.name}: " + ", ".join(
            what for what, value in (("description", c.description), ("source", c.source)) if not value.strip()
        )
        for t in TABLES.values()
        for c in t.columns
        if not c.description.strip() or not c.source.strip()
    ]
    assert not blank, "fill these in nba_lakehouse/schemas.py:\n" + "\n".join(blank)


def test_documented_columns_are_the_declared_columns_in_order(committed):
    documented = parse_dictionary(committed)
    declared = {f"{t.layer}.{t.name}": t.column_names for t in TABLES.values()}
    parsed = {name: [row["column"] for row in rows] for name, rows in documented.items()}
    differing = {
        name: {"documented": parsed.get(name), "declared": declared.get(name)}
        for name in sorted(parsed.keys() | declared.keys())
        if parsed.get(name) != declared.get(name)
    }
    assert not differing, f"{DOC_PATH.name} column lists differ from schemas.py: {differing}"


def test_layout_view_escaping_and_unknown_tables_are_rendered_generically():
    extra = Table(
        name="pipes",
        layer="gold",
        description="A table | with a pipe",
        partition_by=(),
        key=("a",),
        columns=(
            Column("a", pl.Int64, "first | column", nullable=False, source="X | Y"),
            Column("b", pl.Datetime("us", "UTC"), "second", source="derived: a"),
        ),
    )
    text = render({**TABLES, extra.name: extra})
    rows = parse_dictionary(text)["gold.pipes"]
    assert [(r["column"], r["type"], r["nullable"], r["meaning"], r["source fields"]) for r in rows] == [
        ("a", "Int64", "no", "first | column", "X | Y"),
        ("b", str(pl.Datetime("us", "UTC")), "yes", "second", "derived: a"),
    ]
    assert "`gold/pipes/part-0.parquet`" in text and "DuckDB view: `gold.pipes`" in text
    assert "A table \\| with a pipe" in text
    assert "`silver/play_by_play/season=<season>/game_date=<game_date>/part-0.parquet`" in text
    assert "`gold/starter_splits/season=<season>/part-0.parquet`" in text
    # Silver sections come before gold ones, in the contents and in the body.
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == ["## Contents", "## Silver", "## Gold"]
    assert text.index("[silver.play_by_play]") < text.index("[gold.event_state]") < text.index("[gold.pipes]")


def test_check_fails_on_a_stale_file_and_names_the_fix(tmp_path: Path, monkeypatch, capsys):
    stale = tmp_path / "data_dictionary.md"
    monkeypatch.setattr(data_dictionary, "DOC_PATH", stale)
    assert data_dictionary.main(["--check"]) == 1
    assert "does not exist" in capsys.readouterr().err
    stale.write_text(render().replace("| `game_id` |", "| `game_key` |", 1), encoding="utf-8")
    assert data_dictionary.main(["--check"]) == 1
    err = capsys.readouterr().err
    assert str(stale) in err and REGENERATE in err
    assert data_dictionary.main([]) == 0
    assert stale.read_text(encoding="utf-8") == render()
    assert data_dictionary.main(["--check"]) == 0


def test_every_table_asset_shows_its_declared_columns_in_the_ui():
    """The Dagster UI's column view comes from the same declarations as the dictionary."""
    from nba_lakehouse.definitions import defs

    graph = defs.resolve_asset_graph()
    for table in TABLES.values():
        node = graph.get(dg.AssetKey(table.name))
        shown = node.metadata["dagster/column_schema"]
        assert [c.name for c in shown.columns] == table.column_names, table.name
        assert all(c.description for c in shown.columns), table.name
        assert node.group_name == table.layer

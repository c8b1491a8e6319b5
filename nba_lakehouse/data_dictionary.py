"""The data dictionary: ``docs/data_dictionary.md``, generated from ``schemas.TABLES``.

Every word about a table or a column comes from its declaration in ``nba_lakehouse/schemas.py``;
this module only lays the declarations out. Regenerate after changing a schema::

    python -m nba_lakehouse.data_dictionary            # writes docs/data_dictionary.md
    python -m nba_lakehouse.data_dictionary --check    # exit 1 if the file is out of date
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from nba_lakehouse.lake import PART_FILE, PROJECT_ROOT
from nba_lakehouse.schemas import TABLES, Table

DOC_PATH = PROJECT_ROOT / "docs" / "data_dictionary.md"
REGENERATE = "python -m nba_lakehouse.data_dictionary"
LAYER_ORDER = ("silver", "gold")
COLUMN_HEADER = ("column", "type", "nullable", "meaning", "source fields")


def escape(text: str) -> str:
    """Text safe inside a markdown table cell: one line, pipes escaped."""
    return " ".join(text.replace("|", r"\|").split())


def anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation other than - and _ dropped."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def view_name(table: Table) -> str:
    return f"{table.layer}.{table.name}"


def parquet_path(table: Table) -> str:
    """Where the table's files sit under the lake root, as ``Lake.partition_dir`` lays them out."""
    partitions = [f"{column}=<{column}>" for column in table.partition_by]
    return "/".join([table.layer, table.name, *partitions, PART_FILE])


def layers(tables: Mapping[str, Table]) -> list[tuple[str, list[Table]]]:
    """Tables grouped by layer: silver, gold, then any other layer by name; tables in declared order."""
    present = {t.layer for t in tables.values()}
    names = [n for n in LAYER_ORDER if n in present] + sorted(present - set(LAYER_ORDER))
    return [(layer, [t for t in tables.values() if t.layer == layer]) for layer in names]


def _row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _code_list(names: Sequence[str]) -> str:
    return ", ".join(f"`{n}`" for n in names) if names else "none"


def render_table(table: Table) -> list[str]:
    layout = (
        f"hive-partitioned by {_code_list(table.partition_by)}, one file per partition" if table.partition_by
        else "a single file, no partition folders"
    )
    lines = [
        f"### {view_name(table)}",
        "",
        escape(table.description),
        "",
        f"- Parquet: `{parquet_path(table)}` ({layout})",
        f"- DuckDB view: `{view_name(table)}`",
        f"- Key: {_code_list(table.key)}",
        "",
        _row(COLUMN_HEADER),
        _row(["---"] * len(COLUMN_HEADER)),
    ]
    for c in table.columns:
        lines.append(_row([
            f"`{c.name}`",
            f"`{escape(str(c.dtype))}`",
            "yes" if c.nullable else "no",
            escape(c.description),
            escape(c.source),
        ]))
    return [*lines, ""]


def render(tables: Mapping[str, Table] | None = None) -> str:
    """The whole dictionary as markdown; the same declarations always give the same text."""
    tables = TABLES if tables is None else tables
    grouped = layers(tables)
    lines = [
        "# Data dictionary",
        "",
        f"<!-- Generated from nba_lakehouse/schemas.py by `{REGENERATE}`; do not edit by hand. -->",
        "",
        "Every silver and gold table of the lakehouse: where its Parquet files sit under the lake root",
        "(`NBA_LAKE_ROOT`, by default `data/`), the DuckDB view over them in `lakehouse.duckdb`, its key,",
        "and each column with its polars type, whether it may be null, what it means and the raw feed",
        "fields it is parsed from (`derived: ...` for computed columns; V2, V3 and CDN are the stats API's",
        "V2 and V3 endpoints and the cdn.nba.com live data feed).",
        "",
        "## Contents",
        "",
    ]
    for layer, members in grouped:
        lines.append(f"- [{layer.capitalize()}](#{anchor(layer)})")
        lines += [f"  - [{view_name(t)}](#{anchor(view_name(t))})" for t in members]
    lines.append("")
    for layer, members in grouped:
        lines += [f"## {layer.capitalize()}", ""]
        for table in members:
            lines += render_table(table)
    return "\n".join(lines).rstrip("\n") + "\n"


def check(path: Path | None = None) -> str | None:
    """``None`` when ``path`` (the dictionary) holds exactly ``render()``, else what is wrong and how to fix it."""
    path = DOC_PATH if path is None else path
    if not path.exists():
        return f"{path} does not exist; generate it with `{REGENERATE}`"
    if path.read_text(encoding="utf-8") != render():
        return (
            f"{path} is out of date with nba_lakehouse/schemas.py; regenerate it with `{REGENERATE}`"
        )
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=REGENERATE, description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help=f"exit 1 if {DOC_PATH.name} differs from the schemas, write nothing"
    )
    args = parser.parse_args(argv)
    if args.check:
        problem = check()
        if problem:
            print(problem, file=sys.stderr)
            return 1
        print(f"{DOC_PATH} is up to date")
        return 0
    DOC_PATH.parent.mkdir(parents=True, exist_ok=True)
    DOC_PATH.write_text(render(), encoding="utf-8", newline="\n")
    print(f"wrote {DOC_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

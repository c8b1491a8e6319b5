"""The read-only SQL door (``nba-lakehouse sql``): the catalog and the lake, nothing else.

Two locks, each enough for what it guards:

1. **Statements**: only reads run. Every statement of the query is classified by DuckDB's own
   parser (``extract_statements``) before any runs: SELECT (with FROM-first, WITH, VALUES,
   DESCRIBE, SHOW and SUMMARIZE, which DuckDB parses as SELECT) and EXPLAIN of those. COPY,
   EXPORT, INSTALL/LOAD, ATTACH/DETACH, SET/RESET/USE, PRAGMA, CALL, CREATE, INSERT, UPDATE,
   DELETE, DROP, transactions... are refused, and a query holding one is refused whole. This is
   what keeps the lake's own files unwritten: DuckDB's file access settings allow writing where
   they allow reading (``EXPLAIN ANALYZE COPY ... TO`` a lake file would run the COPY).
2. **Configuration**: the catalog is opened read-only, files are reachable under the lake root
   only (``allowed_directories`` with ``enable_external_access = false``; prefixes, so an
   ``s3://bucket/prefix/`` root works the same), no extension is installed or loaded behind the
   query's back, and the configuration is locked so no statement can undo any of it.
"""

from __future__ import annotations

import re

import duckdb
import polars as pl

from nba_lakehouse.lake import Lake

READ_STATEMENTS = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}
ALLOWED = "SELECT, FROM, WITH, VALUES, DESCRIBE, SHOW, SUMMARIZE and EXPLAIN of those"
# DuckDB keeps the text of the statement an EXPLAIN explains; what follows this is that statement.
_EXPLAIN_PREFIX = re.compile(r"\s*EXPLAIN\s*(\([^)]*\))?\s*(ANALY[SZ]E\b)?", re.IGNORECASE)


class RefusedQuery(ValueError):
    """A statement the read-only door does not run."""


def read_only_connection(lake: Lake) -> duckdb.DuckDBPyConnection:
    """The catalog, opened read-only, with file access limited to the lake and the settings locked."""
    conn = duckdb.connect(
        lake.duckdb_path, read_only=True,
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False,
                "allow_community_extensions": False},
    )
    try:
        # The views read the object store: httpfs from its wheel and the lake's secret, before the lock.
        lake.duckdb_setup(conn)
        # A trailing slash: /data must not let /data2 in.
        conn.execute("SET allowed_directories = $dirs", {"dirs": [lake.uri() + "/"]})
        conn.execute("SET enable_external_access = false")
        conn.execute("SET lock_configuration = true")
    except duckdb.Error:
        conn.close()
        raise
    return conn


def checked_statements(conn: duckdb.DuckDBPyConnection, query: str) -> list[duckdb.Statement]:
    """The query's statements if every one is a read; RefusedQuery naming the first that is not."""
    statements = conn.extract_statements(query)
    for number, statement in enumerate(statements, start=1):
        refusal = _refusal(conn, statement)
        if refusal:
            where = f"statement {number} of {len(statements)}" if len(statements) > 1 else "the statement"
            raise RefusedQuery(f"refused {where} ({refusal}): the SQL door is read-only and runs only {ALLOWED}; nothing was run")
    return statements


def _refusal(conn: duckdb.DuckDBPyConnection, statement: duckdb.Statement) -> str | None:
    """Why the statement is refused (its type, a few words), or None for a read."""
    try:
        kind = statement.type
    except ValueError:  # a type the Python API has no name for (UPDATE EXTENSIONS is 29)
        return f"a statement of a type DuckDB's Python API cannot name: {_head(statement.query)}"
    if kind not in READ_STATEMENTS:
        return f"{kind.name}: {_head(statement.query)}"
    if kind == duckdb.StatementType.EXPLAIN:
        # EXPLAIN ANALYZE runs what it explains: the explained statement must be a read too.
        explained = _EXPLAIN_PREFIX.sub("", statement.query, count=1)
        try:
            inner = conn.extract_statements(explained)
        except duckdb.Error:
            return f"EXPLAIN of a statement that cannot be told a read: {_head(statement.query)}"
        reasons = [r for s in inner if (r := _refusal(conn, s))]
        return f"EXPLAIN of {reasons[0]}" if reasons else None
    return None


def _head(sql: str, width: int = 60) -> str:
    text = " ".join(sql.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def run_read_only(lake: Lake, query: str) -> list[pl.DataFrame]:
    """The result of each statement, once every statement is known to be a read."""
    with read_only_connection(lake) as conn:
        statements = checked_statements(conn, query)
        return [conn.sql(statement).pl() for statement in statements]

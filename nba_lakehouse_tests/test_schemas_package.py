"""The schemas package: Dagster-free, split into machinery / silver / gold, one import path for all."""

import subprocess
import sys

import dagster as dg

import nba_lakehouse.schemas as schemas
from nba_lakehouse.schemas import gold, machinery, silver
from nba_lakehouse.wiring import dagster_table_schema


def test_the_schemas_import_without_dagster():
    probe = "import sys, nba_lakehouse.schemas; print('dagster' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_every_table_is_declared_in_its_layer_module_and_reexported():
    for table in schemas.TABLES.values():
        module = gold if table.layer == "gold" else silver
        assert getattr(schemas, table.name.upper()) is getattr(module, table.name.upper()) is table
    assert schemas.Table is machinery.Table and schemas.SchemaError is machinery.SchemaError


def test_the_dagster_column_schema_comes_from_the_declaration():
    table = schemas.PLAY_BY_PLAY
    columns = dagster_table_schema(table).columns
    assert isinstance(columns[0], dg.TableColumn)
    assert [(c.name, c.type, c.constraints.nullable) for c in columns] == [
        (c.name, str(c.dtype), c.nullable) for c in table.columns
    ]

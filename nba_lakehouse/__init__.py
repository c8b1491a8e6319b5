"""nba-lakehouse: an NBA data lakehouse as Dagster assets over Parquet and DuckDB."""

import warnings

import dagster as dg

# Single-run backfills and partitioned asset checks are deliberate choices (a season backfills
# as one run; checks audit exactly the partitions a run wrote); their maturity notices are noted
# in the README instead of being printed on every import.
warnings.filterwarnings("ignore", category=dg.BetaWarning)
warnings.filterwarnings("ignore", category=dg.PreviewWarning)

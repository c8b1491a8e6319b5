"""nba-lakehouse: an NBA data lakehouse as Dagster assets over Parquet and DuckDB."""

import warnings

# From dagster_shared (a light package) rather than dagster: reading the Parquet with
# nba_lakehouse.charts, as the notebook does, should not load Dagster.
from dagster_shared.utils.warnings import BetaWarning, PreviewWarning

# Single-run backfills and partitioned asset checks are deliberate choices (a season backfills
# as one run; checks audit exactly the partitions a run wrote); their maturity notices are noted
# in the README instead of being printed on every import.
warnings.filterwarnings("ignore", category=BetaWarning)
warnings.filterwarnings("ignore", category=PreviewWarning)

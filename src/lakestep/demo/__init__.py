"""A deterministic travel-bookings gold layer (star schema) with planted, documented signal.

::

    from lakestep.demo import build_gold
    summaries = build_gold(platform, scale=200_000, seed=7)

Tables: dim_customer (SCD2), dim_property (SCD2), dim_destination, dim_date, fact_booking,
fact_page_view. Every planted signal is described in docs/demo-data.md; the constants
live in :mod:`lakestep.demo.params`.
"""

from lakestep.demo.build import GOLD_TABLES, TableSummary, build_gold, content_hash

__all__ = ["GOLD_TABLES", "TableSummary", "build_gold", "content_hash"]

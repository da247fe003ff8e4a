"""Market data: bars read from the bundled file, a CSV or Parquet file, or Alpaca; checked;
pivoted into a `Panel`; cached; and the exchange's calendar. Everything that judges a strategy
(`fitness`) or trades one (`live`) reads prices through here."""

"""Event lake: Parquet partitioned by day, validated idempotent ingest, engine-neutral Ibis queries."""

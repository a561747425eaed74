"""The small shared kit every domain may use: CLI and page helpers, request dependencies, masking, rate limits, the translation table."""

"""Risk persons and their evidence; tracing a case = lake queries + protocol rules."""

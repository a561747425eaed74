"""Tracing teams (流调队伍) and each case's investigation (流调): their tables, service, API, CLI (`fangkong
teams`, with `teams diff`, the declared trajectory versus the data) and schemas."""

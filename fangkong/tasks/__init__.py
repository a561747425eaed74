"""Tasks against the clock: every timed step (DOMAIN.md §3) is a task with an owner and a deadline."""

"""Community verification (落地核查): door-to-door checks of risk persons, their outcomes; their API and CLI."""

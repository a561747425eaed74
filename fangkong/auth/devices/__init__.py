"""Device tokens (venue gates, checkpoints): issue, list, revoke; the service, API and CLI."""

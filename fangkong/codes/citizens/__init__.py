"""Citizens: sign-in with a one-time code and their own health code; the service, API and CLI."""

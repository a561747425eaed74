"""Users, roles, jurisdiction scopes, tokens, sessions and the audit log's API (docs/security.md)."""

"""Record store: engine, sessions, declarative Base, migrations."""

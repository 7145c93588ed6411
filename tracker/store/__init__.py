"""The database: models, engine and sessions, and repository functions taking a session."""

"""Database: engine and sessions, ORM models, query helpers."""

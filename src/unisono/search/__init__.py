"""Full-text search over interaction text (FTS5 on SQLite, tsvector + GIN on PostgreSQL)."""

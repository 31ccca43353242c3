"""Alembic migrations of the Unisono schema (run with ``unisono db upgrade``)."""

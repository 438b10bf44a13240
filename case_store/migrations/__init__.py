"""Alembic migrations shipped inside the package; run them with ``case_store.db.migrate``."""

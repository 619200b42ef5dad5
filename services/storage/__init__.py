"""The schema (SQLAlchemy Core), Alembic migrations, and the psycopg 3 engine helpers."""

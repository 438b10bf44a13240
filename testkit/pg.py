"""The PostgreSQL that tests and benches use: database `test` as `hotline_test`.

That role has no superuser, role or database rights; it may only create schemas in
`test`. It is the only one `.ci/ensure-host` lets in on trust, so a test that passes
here passes for a product whose role is just as plain.
"""

from __future__ import annotations

TEST_ROLE = "hotline_test"
TEST_CONNINFO = f"postgresql://{TEST_ROLE}@127.0.0.1:5432/test"  # psycopg, for schemas


def schema_url(schema: str, port: int = 5432) -> str:
    """The case store's URL for one test's own schema (through PORT: a cut proxy's)."""
    return (f"postgresql+psycopg://{TEST_ROLE}@127.0.0.1:{port}/test"
            f"?options=-csearch_path%3D{schema}")

"""Many plain rows into one table, fast, in the session's transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from surveyapp.extensions import db

#: Rows per ``executemany`` call, so a generator is never held whole as a list.
_CHUNK = 20_000


def bulk_insert(table: str, columns: Sequence[str], rows: Iterable[tuple]) -> int:
    """Insert ``rows`` (tuples in the order of ``columns``) into ``table`` and return how many.

    PostgreSQL: ``COPY ... FROM STDIN`` (psycopg 3); other databases: DBAPI ``executemany`` in
    chunks. Both run on the session's connection, so the rows are part of its transaction and go
    with its rollback. Hundreds of thousands of rows through the ORM take minutes and gigabytes;
    this takes seconds. ``table`` and ``columns`` must be trusted names (they are interpolated).
    """
    connection = db.session.connection()
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    names = ", ".join(columns)
    count = 0
    try:
        if connection.dialect.name == "postgresql":
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        else:
            marks = ", ".join("?" for _ in columns)
            sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"
            chunk: list[tuple] = []
            for row in rows:
                chunk.append(row)
                if len(chunk) >= _CHUNK:
                    cursor.executemany(sql, chunk)
                    count += len(chunk)
                    chunk = []
            if chunk:
                cursor.executemany(sql, chunk)
                count += len(chunk)
    finally:
        cursor.close()
    return count

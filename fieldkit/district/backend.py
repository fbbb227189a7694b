"""Where a district's tables live: its SQLCipher file (default) or a PostgreSQL database.

The district home always holds the key file. A district on PostgreSQL also has
`DATABASE_CONFIG` there (owner-only), naming the database; its DSN is shown and
logged only through `postgres.redact`. `FIELDKIT_DISTRICT_DATABASE` gives the database
for `district init` when `--database` is not given.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from fieldkit.crypto.columns import ColumnCipher
from fieldkit.district import postgres
from fieldkit.errors import StoreError, UsageError
from fieldkit.paths import write_private_file
from fieldkit.store.db import db_path

DATABASE_CONFIG = "district-database.json"
DATABASE_ENV = "FIELDKIT_DISTRICT_DATABASE"
SQLCIPHER = "sqlcipher"
POSTGRESQL = "postgresql"


@dataclass(frozen=True)
class DatabaseConfig:
    backend: str  # SQLCIPHER or POSTGRESQL
    dsn: str | None = None

    @property
    def shown(self) -> str:
        """What a person may be shown: the file, or the DSN without its password."""
        return postgres.redact(self.dsn) if self.dsn else SQLCIPHER


def chosen(database: str | None) -> DatabaseConfig:
    """The backend for a new district: `--database`, else the environment, else the file."""
    value = database if database is not None else os.environ.get(DATABASE_ENV) or None
    if value is None or value == SQLCIPHER:
        return DatabaseConfig(SQLCIPHER)
    if not postgres.is_dsn(value):
        raise UsageError("database.bad_dsn")
    return DatabaseConfig(POSTGRESQL, value)


def read_config(home: Path) -> DatabaseConfig:
    path = home / DATABASE_CONFIG
    if not path.exists():
        return DatabaseConfig(SQLCIPHER)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        config = DatabaseConfig(str(data["backend"]), data.get("dsn"))
    except (OSError, ValueError, KeyError, TypeError):
        raise StoreError("database.bad_config", path=str(path)) from None
    if config.backend != POSTGRESQL or not config.dsn or not postgres.is_dsn(config.dsn):
        raise StoreError("database.bad_config", path=str(path))
    return config


def write_config(home: Path, config: DatabaseConfig) -> None:
    path = home / DATABASE_CONFIG
    if config.backend == SQLCIPHER:
        path.unlink(missing_ok=True)
        return
    body = json.dumps({"backend": config.backend, "dsn": config.dsn}, indent=2) + "\n"
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    write_private_file(tmp, body.encode())
    tmp.replace(path)


class NewPostgresDatabase:
    """A new district's tables in an empty PostgreSQL database (see lifecycle.NewDatabase)."""

    def __init__(self, home: Path, config: DatabaseConfig, migrations: list[str]) -> None:
        self.home = home
        self.config = config
        self.migrations = migrations
        self.database: postgres.Database | None = None
        self.conn: postgres.PgConnection | None = None
        self.made: list[str] = []

    def _open(self) -> postgres.Database:
        if self.database is None:
            assert self.config.dsn
            self.database = postgres.Database(self.config.dsn)
        return self.database

    def exists(self) -> bool:
        if db_path(self.home, "district").exists() or (self.home / DATABASE_CONFIG).exists():
            return True
        with self._open().lease(None) as conn:
            if postgres.tables(conn):
                # A district, or anything else: never mix a district into a used database.
                raise UsageError("database.not_empty")
        return False

    def create(self, data_key: bytes) -> postgres.PgConnection:
        self.conn = self._open().connect(ColumnCipher(data_key))
        before = set(postgres.tables(self.conn))
        try:
            postgres.migrate(self.conn, self.migrations)
        finally:
            self.made = sorted(set(postgres.tables(self.conn)) - before)
        write_config(self.home, self.config)
        return self.conn

    def discard(self) -> None:
        (self.home / DATABASE_CONFIG).unlink(missing_ok=True)
        if self.database is None:
            return
        if self.conn is not None:
            postgres.drop_all(self.conn, self.made)
            self.database.release(self.conn)
        self.database.close()

    def abandon(self) -> None:
        """Close the connections of a creation that did not go through."""
        if self.database is not None:
            self.database.close()

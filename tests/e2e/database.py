"""One database of the throwaway PostgreSQL server, as a test uses it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from .postgres import PostgresServer


@dataclass(frozen=True)
class Database:
    server: PostgresServer
    name: str

    @classmethod
    def create(cls, server: PostgresServer) -> Database:
        """A new, empty database with a unique name."""
        name = f"e2e_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(
            host=server.host, port=server.port, user=server.user, dbname=server.dbname
        ) as connection:
            connection.autocommit = True
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return cls(server, name)

    @property
    def url(self) -> str:
        """SQLAlchemy URL with psycopg 3 (target-postgres's driver)."""
        return f"postgresql+psycopg://{self._location}"

    @property
    def tap_url(self) -> str:
        """SQLAlchemy URL for tap-postgres: its default driver (psycopg2), and a password,
        which it insists on; the server trusts local connections, so any will do."""
        server = self.server
        return f"postgresql://{server.user}:unused@{server.host}:{server.port}/{self.name}"

    @property
    def _location(self) -> str:
        server = self.server
        return f"{server.user}@{server.host}:{server.port}/{self.name}"

    def connect(self) -> psycopg.Connection:
        server = self.server
        return psycopg.connect(
            host=server.host,
            port=server.port,
            user=server.user,
            dbname=self.name,
            autocommit=True,
        )

    def rows(self, query: str | sql.Composable, *params: Any) -> list[dict[str, Any]]:
        with self.connect() as connection, connection.cursor() as cursor:
            cursor.execute(query, params)
            names = [column.name for column in cursor.description or ()]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def table(self, schema: str, table: str) -> list[dict[str, Any]]:
        """Every row of `schema.table`."""
        return self.rows(sql.SQL("SELECT * FROM {}").format(sql.Identifier(schema, table)))

    def execute(self, statement: str | sql.Composable, *params: Any) -> None:
        with self.connect() as connection:
            connection.execute(statement, params or None)

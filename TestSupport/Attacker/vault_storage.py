"""What the attacker uses to read and write a vault's rows: Python's sqlite3 for a file, and for
a vault on PostgreSQL (a `postgresql://` URL) the stock `psql`, as a database operator would.

`connect(location)` returns an object with the part of sqlite3's interface the attacks use:
`execute(sql, params)` with `?` placeholders, `executemany(sql, seq_of_params)`, rows readable
by column name, and `commit()`. `on_server(db)` tells which it is, for the few statements whose
SQL differs (`zeroblob` is SQLite's).
"""
import csv
import io
import re
import sqlite3
import subprocess

NULL = "\x01NULL\x01"


def connect(location):
    if location.startswith(("postgresql://", "postgres://")):
        return ServerVault(location)
    db = sqlite3.connect(location)
    db.row_factory = sqlite3.Row
    return db


def on_server(db):
    return isinstance(db, ServerVault)


def table_names(db):
    if isinstance(db, ServerVault):
        query = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'table'"
    return {row[0] for row in db.execute(query)}


class Row(dict):
    """A row readable by name or position, as sqlite3.Row is."""

    def __init__(self, names, values):
        super().__init__(zip(names, values))
        self.values_in_order = values

    def __getitem__(self, key):
        return self.values_in_order[key] if isinstance(key, int) else dict.__getitem__(self, key)


class Result(list):
    def fetchone(self):
        return self[0] if self else None

    def fetchall(self):
        return list(self)


class ServerVault:
    """Each statement is one `psql` run (autocommit): the attacks need no transaction."""

    def __init__(self, url):
        self.url = url
        self.types = {}

    def psql(self, sql):
        done = subprocess.run(["psql", self.url, "-X", "-q", "--csv", "-P", "null=" + NULL, "-v", "ON_ERROR_STOP=1", "-c", sql],
                              capture_output=True, check=True)
        return done.stdout.decode()

    def script(self, sql):
        """Statements separated by semicolons, read from standard input (no argument-size limit),
        in one transaction."""
        subprocess.run(["psql", self.url, "-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-f", "-"],
                       input=sql.encode(), capture_output=True, check=True)

    def column_types(self, table):
        if table not in self.types:
            rows = csv.reader(io.StringIO(self.psql(
                "SELECT column_name, data_type FROM information_schema.columns "
                f"WHERE table_schema = current_schema() AND table_name = '{table}'")))
            next(rows)
            self.types[table] = dict(rows)
        return self.types[table]

    @staticmethod
    def literal(value):
        if value is None:
            return "NULL"
        if isinstance(value, (bytes, bytearray, memoryview)):
            return "'\\x" + bytes(value).hex() + "'::bytea"
        if isinstance(value, int):
            return str(value)
        return "'" + str(value).replace("'", "''") + "'"

    def execute(self, sql, params=()):
        output = self.psql(self.bind(sql, params))
        if not output.strip():
            return Result()
        rows = list(csv.reader(io.StringIO(output)))
        names = rows[0]
        source = re.search(r"\bFROM\s+(\w+)", sql, re.IGNORECASE)
        types = self.column_types(source.group(1)) if source and source.group(1) != "information_schema" else {}
        return Result(Row(names, [self.value(cell, types.get(name)) for name, cell in zip(names, row)]) for row in rows[1:])

    def bind(self, sql, params):
        parts = sql.split("?")
        assert len(parts) == len(params) + 1, "placeholders and parameters differ"
        return parts[0] + "".join(self.literal(value) + part for value, part in zip(params, parts[1:]))

    def executemany(self, sql, seq_of_params):
        """One `psql` run for all of them, in one transaction, as sqlite3's would be."""
        self.script("".join(self.bind(sql, params) + ";\n" for params in seq_of_params))

    @staticmethod
    def value(cell, kind):
        if cell == NULL:
            return None
        if kind == "bytea":
            return bytes.fromhex(cell[2:])
        if kind in ("bigint", "integer", "smallint"):
            return int(cell)
        if kind == "double precision":
            return float(cell)
        return cell

    def commit(self):
        pass

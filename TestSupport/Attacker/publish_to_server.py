#!/usr/bin/env python3
"""Replaces every row of a vault on PostgreSQL with the rows of a vault file, as they are, damage
included: how the tamper suites, which edit a file with Python's sqlite3, put the same damaged
rows in front of a vault on the server. Not a copy `secrets` would make (`secrets vault copy`
verifies both sides and would refuse the damage); foreign keys are not checked, as SQLite's
sqlite3 module does not check them either.

  publish_to_server.py VAULT_FILE POSTGRESQL_URL
"""
import sqlite3
import sys

from vault_storage import ServerVault


def main():
    source = sqlite3.connect(sys.argv[1])
    target = ServerVault(sys.argv[2])
    statements = ["SET session_replication_role = replica"]
    tables = [name for (name,) in source.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    for table in tables:
        cursor = source.execute(f"SELECT * FROM {table}")
        names = [column[0] for column in cursor.description]
        statements.append(f"DELETE FROM {table}")
        rows = cursor.fetchall()
        if rows:
            values = ", ".join("(" + ", ".join(ServerVault.literal(value) for value in row) + ")" for row in rows)
            statements.append(f"INSERT INTO {table} ({', '.join(names)}) VALUES {values}")
    # One simple query: one transaction.
    target.psql("; ".join(statements))
    print(f"published {len(tables)} tables")


if __name__ == "__main__":
    main()

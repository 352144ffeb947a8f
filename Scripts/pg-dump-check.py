#!/usr/bin/env python3
"""After the vault suites ran against PostgreSQL: pg_dump the test server and look for what its
vaults were given in clear. Every sealed column is bytea, which pg_dump writes as hex, so each
word is looked for as text and as hex. Exits 1 if the dump holds any, or holds no vault at all.

Usage: pg-dump-check.py URL
"""
import subprocess
import sys

# What the suites store (Tests/ClientSecretsTests/Support/Sample.swift and the suites' own
# words): the sample tenant, app labels, secret values.
WORDS = ["contoso.onmicrosoft.com", "orders-secret-value", "payroll-secret-value", "Payroll-Label-Zq",
         "value-zq-0123456789", "a note nobody else reads", "reader-name-zq",
         "correct horse battery staple", "written-after-the-rekey-0123456789"]

dump = subprocess.run(["pg_dump", "--no-owner", sys.argv[1]], check=True, capture_output=True).stdout
schemas = dump.count(b"\nCREATE SCHEMA test_")
tables = dump.count(b"\nCREATE TABLE test_") and dump.count(b".credentials (")
found = []
for word in WORDS:
    for form in (word.encode(), word.encode().hex().encode(), word.lower().encode().hex().encode()):
        if form.lower() in dump.lower():
            found.append(word)
            break
print("pg_dump of the test server: %d bytes, %d vault schemas with a credentials table, %d of %d words found in clear%s"
      % (len(dump), tables, len(found), len(WORDS), (": " + ", ".join(found)) if found else ""))
sys.exit(1 if found or tables == 0 else 0)

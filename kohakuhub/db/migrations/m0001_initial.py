"""Migration 1: the initial tables."""

from __future__ import annotations

from peewee import Database

from kohakuhub.db.models import ALL_MODELS


def apply(db: Database) -> None:
    # Tables are created from a frozen list: later migrations alter them explicitly.
    db.create_tables(ALL_MODELS)

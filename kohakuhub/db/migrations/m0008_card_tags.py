"""Migration 8: card tags of each repo (for the lists' ``filter=``) and the README they were read from.

Existing repos have no index row yet; the hub indexes them when it starts (RepoService.index_missing_cards).
"""

from __future__ import annotations

from peewee import AutoField, CharField, Database, ForeignKeyField, Model


def apply(db: Database) -> None:
    class Repo(Model):
        id = AutoField()

        class Meta:
            table_name = "repo"

    class RepoCardIndex(Model):
        repo = ForeignKeyField(Repo, primary_key=True, on_delete="CASCADE")
        readme_oid = CharField(max_length=64, default="")

        class Meta:
            legacy_table_names = False

    class RepoTag(Model):
        id = AutoField()
        repo = ForeignKeyField(Repo, on_delete="CASCADE")
        kind = CharField(max_length=16)
        tag = CharField(max_length=255, index=True)

        class Meta:
            legacy_table_names = False
            indexes = ((("repo", "tag"), True),)

    with db.bind_ctx([Repo, RepoCardIndex, RepoTag]):
        db.create_tables([RepoCardIndex, RepoTag])

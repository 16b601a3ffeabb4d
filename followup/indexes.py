"""Index kinds Django has no portable spelling for."""

from django.db import models


class BrinOnPostgres(models.Index):
    """A BRIN index on PostgreSQL, a plain one elsewhere (SQLite in
    development). For append-only rows whose column grows with insertion
    order (attempt times): a range of recent rows is found by reading a few
    kilobytes of block summaries, at no cost per insert, where a B-tree on
    the same column would grow by ~20 bytes a row for ever. Unsummarized
    blocks at the tail of the table always match, so new rows are never
    missed between vacuums."""

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor == "postgresql":
            using = " USING brin"
        return super().create_sql(model, schema_editor, using=using, **kwargs)

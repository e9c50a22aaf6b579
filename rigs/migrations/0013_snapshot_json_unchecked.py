"""Snapshot's JSON columns lose SQLite's CHECK (JSON_VALID(...)) (see SnapshotJSONField.db_check).

SQLite cannot drop a CHECK in place: the table is rebuilt from the model as it is now, its
rows copied. Nothing to do on PostgreSQL (jsonb has no such check)."""

from django.db import migrations


def rebuild(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor._remake_table(apps.get_model("rigs", "Snapshot"))


class Migration(migrations.Migration):
    dependencies = [("rigs", "0012_scale")]

    operations = [migrations.RunPython(rebuild, migrations.RunPython.noop)]

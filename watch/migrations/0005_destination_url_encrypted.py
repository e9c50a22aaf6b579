"""Destination URLs (json://user:PASSWORD@host?token=...) are secrets: stored encrypted, as rig tokens are
(rigs/migrations/0011_secrets.py). Forward encrypts the stored ones; backward writes them back in plain
text, which is what the older code reads."""

import minerpanel.encryption
from django.db import migrations


def encrypt_stored(apps, schema_editor):
    Destination = apps.get_model("watch", "Destination")
    for d in Destination.objects.using(schema_editor.connection.alias).exclude(url=""):
        d.save(update_fields=["url"])  # read as plain text, written encrypted


def decrypt_stored(apps, schema_editor):
    Destination = apps.get_model("watch", "Destination")
    table = Destination._meta.db_table
    with schema_editor.connection.cursor() as cursor:
        for d in Destination.objects.using(schema_editor.connection.alias).exclude(url=""):
            cursor.execute(f"UPDATE {table} SET url = %s WHERE id = %s", [d.url, d.pk])


class Migration(migrations.Migration):

    dependencies = [
        ("watch", "0004_alert_level"),
    ]

    operations = [
        migrations.AlterField(
            model_name="destination",
            name="url",
            field=minerpanel.encryption.EncryptedField(help_text="An apprise URL, e.g. mailtos://user:pass@smtp.example.com?to=ops@example.com or json://hooks.example.com/minerpanel. Never shown again after saving.", max_length=1000),
        ),
        migrations.RunPython(encrypt_stored, decrypt_stored),
    ]

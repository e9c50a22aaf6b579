from django.db import migrations

DEFAULTS = {"unreachable": (5, 3), "hashrate": (70, 5), "device": (None, 3), "temperature": (None, 3),
            "pool": (None, 3), "rejects": (5, 5), "hw": (2, 5), "fleet": (1, 3)}


def create(apps, schema_editor):
    AlertRule = apps.get_model("watch", "AlertRule")
    for rule, (threshold, rounds) in DEFAULTS.items():
        AlertRule.objects.get_or_create(rule=rule, rig=None, defaults={"threshold": threshold, "rounds": rounds})


class Migration(migrations.Migration):
    dependencies = [("watch", "0001_issue13_history")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]

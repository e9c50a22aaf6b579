"""The sys tier edits sites, racks, placements and tags in the admin, as it edits rigs: the existing
"sys" group is given the farm app's permissions (minerpanel/tiers.py join_tier gives them to new members)."""

from django.db import migrations


def grant(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    config = apps.get_app_config("farm")
    config.models_module = True  # the permissions are made after migrations otherwise: make them now
    create_permissions(config, verbosity=0, apps=apps)
    config.models_module = None
    Group, Permission = apps.get_model("auth", "Group"), apps.get_model("auth", "Permission")
    group = Group.objects.filter(name="sys").first()
    if group is not None:
        group.permissions.add(*Permission.objects.filter(content_type__app_label="farm"))


class Migration(migrations.Migration):

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("farm", "0001_sites_racks_tags_maintenance"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]

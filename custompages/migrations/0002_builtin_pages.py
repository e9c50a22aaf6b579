from django.db import migrations


def add_pages(apps, schema_editor):
    from custompages.builtin import MOBILE, POOLS, add_missing

    add_missing(apps, [MOBILE, POOLS])


def remove_pages(apps, schema_editor):
    apps.get_model("custompages", "CustomPage").objects.filter(slug__in=["mobile", "pools"]).delete()


class Migration(migrations.Migration):
    dependencies = [("custompages", "0001_initial")]
    operations = [migrations.RunPython(add_pages, remove_pages)]

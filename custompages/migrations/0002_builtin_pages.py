from django.db import migrations


def add_pages(apps, schema_editor):
    from custompages.builtin import MANUAL_MOBILE, MANUAL_POOLS, add_missing

    # the manual's examples, under the names they had then (0005 renames them)
    add_missing(apps, [{**MANUAL_MOBILE, "name": "Mobile", "slug": "mobile", "order": 10},
                       {**MANUAL_POOLS, "name": "Pools", "slug": "pools", "order": 20}])


def remove_pages(apps, schema_editor):
    apps.get_model("custompages", "CustomPage").objects.filter(slug__in=["mobile", "pools"]).delete()


class Migration(migrations.Migration):
    dependencies = [("custompages", "0001_initial")]
    operations = [migrations.RunPython(add_pages, remove_pages)]

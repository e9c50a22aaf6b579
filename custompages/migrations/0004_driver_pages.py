from django.db import migrations


def add_pages(apps, schema_editor):
    from custompages.builtin import CKPOOL, FLEET, add_missing

    add_missing(apps, [CKPOOL, FLEET])


def remove_pages(apps, schema_editor):
    apps.get_model("custompages", "CustomPage").objects.filter(slug__in=["ckpool", "xmrigcc"]).delete()


class Migration(migrations.Migration):
    dependencies = [("custompages", "0003_section_sort")]
    operations = [migrations.RunPython(add_pages, remove_pages)]

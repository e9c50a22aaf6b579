from django.db import migrations


def add_pages(apps, schema_editor):
    from custompages.builtin import add_missing
    from rigs import drivers

    # the pages this migration added: the ones the drivers declare now (rigs/drivers/: CUSTOM_PAGES)
    add_missing(apps, [page for page in drivers.custom_pages() if page["slug"] in ("ckpool", "xmrigcc")])


def remove_pages(apps, schema_editor):
    apps.get_model("custompages", "CustomPage").objects.filter(slug__in=["ckpool", "xmrigcc"]).delete()


class Migration(migrations.Migration):
    dependencies = [("custompages", "0003_section_sort")]
    operations = [migrations.RunPython(add_pages, remove_pages)]

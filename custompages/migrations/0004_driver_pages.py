from django.db import migrations


def add_pages(apps, schema_editor):
    from custompages.builtin import CKPOOL, FLEET, create

    CustomPage = apps.get_model("custompages", "CustomPage")
    PageSection = apps.get_model("custompages", "PageSection")
    for data in (CKPOOL, FLEET):
        if not CustomPage.objects.filter(slug=data["slug"]).exists():
            create(CustomPage, PageSection, data)


def remove_pages(apps, schema_editor):
    apps.get_model("custompages", "CustomPage").objects.filter(slug__in=["ckpool", "xmrigcc"]).delete()


class Migration(migrations.Migration):
    dependencies = [("custompages", "0003_section_sort")]
    operations = [migrations.RunPython(add_pages, remove_pages)]

from django.db import migrations


def add_pages(apps, schema_editor):
    from custompages.builtin import MOBILE, POOLS, create

    CustomPage = apps.get_model("custompages", "CustomPage")
    PageSection = apps.get_model("custompages", "PageSection")
    for data in (MOBILE, POOLS):
        if not CustomPage.objects.filter(slug=data["slug"]).exists():
            create(CustomPage, PageSection, data)


def remove_pages(apps, schema_editor):
    apps.get_model("custompages", "CustomPage").objects.filter(slug__in=["mobile", "pools"]).delete()


class Migration(migrations.Migration):
    dependencies = [("custompages", "0001_initial")]
    operations = [migrations.RunPython(add_pages, remove_pages)]

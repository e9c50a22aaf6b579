from django.db import migrations, models


def add_pages(apps, schema_editor):
    from custompages.builtin import MANUAL_MOBILE, MANUAL_POOLS, MINERPHP, add_missing

    CustomPage = apps.get_model("custompages", "CustomPage")
    for old, manual in (("mobile", MANUAL_MOBILE), ("pools", MANUAL_POOLS)):
        if not CustomPage.objects.filter(slug=manual["slug"]).exists():
            CustomPage.objects.filter(slug=old).update(name=manual["name"], slug=manual["slug"], order=manual["order"])
    add_missing(apps, MINERPHP)


def remove_pages(apps, schema_editor):
    from custompages.builtin import MINERPHP

    CustomPage = apps.get_model("custompages", "CustomPage")
    CustomPage.objects.filter(slug__in=[p["slug"] for p in MINERPHP]).delete()
    for old, new, name in (("mobile", "manual-mobile", "Mobile"), ("pools", "manual-pools", "Pools")):
        CustomPage.objects.filter(slug=new).update(slug=old, name=name)


class Migration(migrations.Migration):
    dependencies = [("custompages", "0004_driver_pages")]
    operations = [
        migrations.AddField(
            model_name="pagesection", name="formats",
            field=models.TextField(blank=True, help_text="FIELD=format, one per line, instead of the usual "
                                   "formatting: sent, integer, decimals1 .. decimals8, percent, percent3, rate, "
                                   "mhs, elapsed, date, time, bytes")),
        migrations.RunPython(add_pages, remove_pages),
    ]

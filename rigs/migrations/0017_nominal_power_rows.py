"""A handful of nominal power rows (issue 26 §5), edited in the admin afterwards.

Nameplate figures (wall power at the stock setting, hashrate) from the vendors' published specifications:
Bitmain's for the Antminers (the S19-series figures as listed in Mining Store's "Definitive Guide to
Antminer S19 Series" and Bitmain's S19 Pro launch figures, 110 TH/s at 3250 W ±5 %), MicroBT's for the
Whatsminers, Canaan's for the Avalons. A unit varies by ±5 % and with its firmware's tuning: these are
estimates, and every figure made from them is marked as estimated.
"""

from django.db import migrations

ROWS = [  # (pattern, watts, TH/s, source)
    ("S9", 1323, 13.5, "Bitmain Antminer S9 13.5T specification"),
    ("S17 Pro", 2094, 53.0, "Bitmain Antminer S17 Pro 53T specification (39.5 J/TH)"),
    ("S19", 3250, 95.0, "Bitmain Antminer S19 95T specification (34 J/TH)"),
    ("S19 Pro", 3250, 110.0, "Bitmain Antminer S19 Pro specification: 110 TH/s ±3 %, 3250 W ±5 %"),
    ("S19j Pro", 3050, 100.0, "Bitmain Antminer S19j Pro 100T specification (29.5 J/TH)"),
    ("S19k Pro", 2760, 120.0, "Bitmain Antminer S19k Pro 120T specification (23 J/TH)"),
    ("S21", 3500, 200.0, "Bitmain Antminer S21 200T specification (17.5 J/TH)"),
    ("S21 Pro", 3510, 234.0, "Bitmain Antminer S21 Pro 234T specification (15 J/TH)"),
    ("M30S++", 3472, 112.0, "MicroBT Whatsminer M30S++ 112T specification (31 J/TH)"),
    ("M50S", 3276, 126.0, "MicroBT Whatsminer M50S 126T specification (26 J/TH)"),
    ("M60S", 3441, 186.0, "MicroBT Whatsminer M60S 186T specification (18.5 J/TH)"),
    ("Avalon Q", 1674, 90.0, "Canaan Avalon Q specification (90 TH/s, 1674 W)"),
    ("Mini3", 800, 37.5, "Canaan Avalon Mini 3 specification (37.5 TH/s, 800 W)"),
    ("Nano3", 140, 4.0, "Canaan Avalon Nano 3 specification (4 TH/s, 140 W)"),
]


def add(apps, schema_editor):
    NominalPower = apps.get_model("rigs", "NominalPower")
    for pattern, watts, terahash, source in ROWS:
        NominalPower.objects.get_or_create(pattern=pattern, defaults={"watts": watts, "terahash": terahash,
                                                                      "source": source})


def remove(apps, schema_editor):
    apps.get_model("rigs", "NominalPower").objects.filter(pattern__in=[r[0] for r in ROWS]).delete()


class Migration(migrations.Migration):
    dependencies = [("rigs", "0016_power")]
    operations = [migrations.RunPython(add, remove)]

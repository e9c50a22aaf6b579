"""Where each rig stands and what is done to a group of them.

    Site ──< Rack            a site holds racks of rows × columns slots
    Site ──< Placement >── Rig   one placement per rig: its site, its rack (optional), its slot (row, column)
    Tag >──< Rig             free labels ("immersion", "S19", "customer-a"), a table of their own
    Maintenance              a window on a rig, a rack or a site: no alerts, no notifications, no automation

Rows and columns count from 1, row 1 at the top, column 1 on the left. Two rigs never share a slot
(a constraint in the database, and a plain error from ``Placement.clean``). A maintenance window is
active while ``starts <= now < ends``: it ends by itself, nothing has to run.
"""

import zoneinfo

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from rigs.models import Rig

MAX_ROWS = 200
MAX_COLUMNS = 64
NAME = 64  # characters of a site, rack or tag name


def validate_timezone(value):
    try:
        zoneinfo.ZoneInfo(value)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        raise ValidationError("%(value)s is not a time zone name such as Europe/Oslo or America/Chicago.",
                              params={"value": value}) from None


def validate_name(value):
    if value != value.strip() or not value:
        raise ValidationError("A name has no leading or trailing spaces, and is not empty.")
    if any(c in value for c in "\r\n\t"):
        raise ValidationError("A name is one line without tabs.")


class Site(models.Model):
    """A place with machines: a building, a container yard, a hosting customer's hall."""

    name = models.CharField(max_length=NAME, unique=True, validators=[validate_name])
    order = models.IntegerField(default=0,
                                help_text="Sites are listed (and the map's tabs shown) by this, then by name.")
    timezone = models.CharField(max_length=64, blank=True, validators=[validate_timezone],
                                help_text="The site's time zone (e.g. America/Chicago), for schedules that follow "
                                          "its clock; empty: the panel's TIME_ZONE.")

    class Meta:
        ordering = ["order", "name"]

    def __str__(self):
        return self.name


class Rack(models.Model):
    """A rack (or shelf, or container row) of ``rows`` × ``columns`` slots in a site."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="racks")
    name = models.CharField(max_length=NAME, validators=[validate_name])
    rows = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1), MaxValueValidator(MAX_ROWS)],
                                            help_text=f"Slots from top to bottom (1 to {MAX_ROWS}).")
    columns = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(MAX_COLUMNS)],
        help_text=f"Slots from left to right (1 to {MAX_COLUMNS}).")
    order = models.IntegerField(default=0, help_text="Racks are drawn by this, then by name.")

    class Meta:
        ordering = ["site__order", "site__name", "order", "name"]
        constraints = [models.UniqueConstraint(fields=["site", "name"], name="farm_rack_name_in_site")]

    def __str__(self):
        return f"{self.site.name} / {self.name}" if self.site_id else self.name

    def clean(self):
        """A rack is never made smaller than the rigs it holds."""
        if not self.pk:
            return
        outside = Q(row__gt=self.rows or 0) | Q(column__gt=self.columns or 0)
        beyond = Placement.objects.filter(outside, rack=self).select_related("rig").order_by("row", "column")
        first = beyond.first()
        if first is not None:
            raise ValidationError(f"{first.rig.name} stands at row {first.row}, column {first.column}: the rack "
                                  f"must keep at least that many rows and columns ({beyond.count()} rig(s) outside "
                                  f"{self.rows}×{self.columns}).")


def unplace(collector, field, sub_objs, using):
    """A deleted rack: its rigs stay in their site, out of any slot."""
    collector.add_field_update(field, None, sub_objs)
    for name in ("row", "column"):
        collector.add_field_update(Placement._meta.get_field(name), None, sub_objs)


class Placement(models.Model):
    """Where one rig stands: a site, and optionally a rack and a slot in it."""

    rig = models.OneToOneField(Rig, on_delete=models.CASCADE, primary_key=True, related_name="placement")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="placements")
    rack = models.ForeignKey(Rack, null=True, blank=True, on_delete=unplace, related_name="placements")
    row = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MinValueValidator(1)])
    column = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["site__order", "site__name", "rack__order", "rack__name", "row", "column"]
        constraints = [
            # NULLs are distinct: any number of rigs stand in a rack without a slot, or outside racks
            models.UniqueConstraint(fields=["rack", "row", "column"], name="farm_one_rig_per_slot"),
        ]

    def __str__(self):
        return f"{self.rig_id and self.rig.name}: {self.where}"

    @property
    def position(self):
        """"row,column", or "" without a slot."""
        return f"{self.row},{self.column}" if self.rack_id and self.row and self.column else ""

    @property
    def where(self):
        parts = [self.site.name] if self.site_id else []
        if self.rack_id:
            parts.append(self.rack.name)
        if self.position:
            parts.append(f"row {self.row}, column {self.column}")
        return " / ".join(parts)

    def clean(self):
        errors = {}
        if self.rack_id and self.site_id and self.rack.site_id != self.site_id:
            errors["rack"] = f"Rack {self.rack.name} is in site {self.rack.site.name}, not in {self.site.name}."
        if (self.row is None) != (self.column is None):
            errors["row" if self.row is None else "column"] = "A slot needs both its row and its column."
        elif self.row is not None and not self.rack_id:
            errors["rack"] = "A slot (row, column) is in a rack: choose the rack, or leave row and column empty."
        elif self.row is not None and self.rack_id:
            if self.row > self.rack.rows:
                errors["row"] = f"Rack {self.rack.name} has {self.rack.rows} row(s): row {self.row} is outside it."
            if self.column > self.rack.columns:
                errors["column"] = (f"Rack {self.rack.name} has {self.rack.columns} column(s): column {self.column} "
                                    "is outside it.")
            taken = (Placement.objects.filter(rack_id=self.rack_id, row=self.row, column=self.column)
                     .exclude(rig_id=self.rig_id).select_related("rig").first())
            if taken is not None and not errors:
                errors["row"] = (f"Row {self.row}, column {self.column} of rack {self.rack.name} holds "
                                 f"{taken.rig.name} already.")
        if errors:
            raise ValidationError(errors)


class Tag(models.Model):
    """A label on any number of rigs, to filter, target and curtail them together."""

    name = models.CharField(max_length=NAME, unique=True, validators=[validate_name])
    rigs = models.ManyToManyField(Rig, blank=True, related_name="tags")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Maintenance(models.Model):
    """A rig, a rack or a site in maintenance from ``starts`` until ``ends``: its rigs raise no alert,
    send no notification, and automation leaves them alone. Ended early, ``ends`` becomes the time it
    was ended and ``ended_by`` says who ended it."""

    rig = models.ForeignKey(Rig, null=True, blank=True, on_delete=models.CASCADE, related_name="maintenance")
    rack = models.ForeignKey(Rack, null=True, blank=True, on_delete=models.CASCADE, related_name="maintenance")
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.CASCADE, related_name="maintenance")
    reason = models.CharField(max_length=300)
    starts = models.DateTimeField()
    ends = models.DateTimeField(db_index=True)
    by = models.CharField(max_length=150)
    ended_by = models.CharField(max_length=150, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-starts", "-id"]
        verbose_name_plural = "maintenance windows"
        constraints = [
            models.CheckConstraint(
                condition=(Q(rig__isnull=False, rack__isnull=True, site__isnull=True)
                           | Q(rig__isnull=True, rack__isnull=False, site__isnull=True)
                           | Q(rig__isnull=True, rack__isnull=True, site__isnull=False)),
                name="farm_maintenance_one_scope"),
        ]

    def __str__(self):
        return f"{self.scope_label}: {self.reason}"

    @property
    def scope_label(self):
        if self.rig_id:
            return f"rig {self.rig.name}"
        if self.rack_id:
            return f"rack {self.rack}"
        return f"site {self.site.name}" if self.site_id else "nothing"

    def active(self, now):
        return self.starts <= now < self.ends

    def clean(self):
        if sum(x is not None for x in (self.rig_id, self.rack_id, self.site_id)) != 1:
            raise ValidationError("Maintenance is for one rig, one rack or one site.")
        if self.starts and self.ends and self.ends <= self.starts:
            raise ValidationError({"ends": "The end must come after the start."})


class MapFigures(models.Model):
    """What the rack map shows of a rig, worked out on the poller's side after each batch (mapfigures.py)
    from its snapshot, so a view reads a few columns and parses no snapshot. ``polled_at`` and
    ``last_ok_at`` are the snapshot's it was made from: a row that differs is written again first.
    ``hourly``: [[hour (epoch), median hashrate (H/s)]...] of the last 24 hours, for the reference."""

    rig = models.OneToOneField(Rig, on_delete=models.CASCADE, primary_key=True, related_name="map_figures")
    polled_at = models.DateTimeField(null=True)
    last_ok_at = models.DateTimeField(null=True)
    state = models.CharField(max_length=8, default="new")
    reasons = models.TextField(default="")  # the stored health's reasons as JSON; "" when none
    curtailed = models.BooleanField(default=False)
    temp = models.FloatField(null=True)
    chip_temp = models.FloatField(null=True)
    hashrate = models.FloatField(null=True)  # H/s
    reference = models.FloatField(null=True)  # H/s: nominal, else the 24 h median
    nominal = models.BooleanField(default=False)  # the reference is the nominal hashrate
    power = models.FloatField(null=True)  # W
    power_estimated = models.BooleanField(default=False)
    efficiency = models.FloatField(null=True)  # J/TH
    hourly = models.JSONField(default=list)

    def __str__(self):
        return f"map figures of rig {self.rig_id}"

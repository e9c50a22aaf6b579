"""Automation (issue 26 §3), curtailment by schedule and price (§4), tariffs (§5): what the admin sets and
what the runner records. Every state the runner needs is here, in the database: a restarted process picks
up where the last one stopped (runner.py)."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from farm.models import Rack, Site, Tag
from rigs.models import Rig
from watch.models import RULES, Alert

ACTIONS = [
    ("restart", "Restart the miner"),
    ("reboot", "Reboot the machine"),
    ("nextpool", "Switch to the next pool"),
    ("sleep", "Sleep, then wake after the value's minutes"),
    ("power", "Lower the power target to the value (W, or a mode such as low)"),
    ("notify", "Notify only (the alert's destinations)"),
]
HOWS = [("sleep", "Sleep (stop hashing)"), ("power", "Power target or mode (the value)")]


def default_enabled():
    return settings.AUTOMATION_ENABLED


def default_dry_run():
    return settings.AUTOMATION_DRY_RUN


def default_per_hour():
    return settings.AUTOMATION_MAX_PER_HOUR


def default_site_percent():
    return settings.AUTOMATION_SITE_PERCENT


def default_cooldown():
    return settings.AUTOMATION_COOLDOWN_MINUTES


class AutomationSettings(models.Model):
    """The guardrails, one row (the admin's "Automation settings"): they hold whatever the rules say."""

    enabled = models.BooleanField(default=default_enabled, help_text=(
        "The global switch. Off: no rule acts and nothing is recorded. Off by default: write the rules, watch "
        "them in dry run, then turn this on."))
    dry_run = models.BooleanField(default=default_dry_run, help_text=(
        "Only record what the rules would do (shown on the alerts and rig pages as dry run); send nothing."))
    max_per_hour = models.PositiveSmallIntegerField(default=default_per_hour, validators=[MinValueValidator(1)],
                                                    help_text="At most this many actions on one rig per hour.")
    site_percent = models.FloatField(default=default_site_percent,
                                     validators=[MinValueValidator(0.1), MaxValueValidator(100)], help_text=(
        "At most this % of a site's rigs acted on at once (an action in its cooldown counts); at least one rig. "
        "Rigs in no site count as one site."))
    cooldown_minutes = models.FloatField(default=default_cooldown, validators=[MinValueValidator(0)],
                                         help_text="After each action, no other on the same rig for this long.")
    changed = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "Automation settings"

    def __str__(self):
        return "Automation settings"

    @classmethod
    def current(cls):
        """The row; before its first save, an unsaved one with the settings' defaults (reading writes nothing)."""
        return cls.objects.filter(pk=1).first() or cls(pk=1)

    def save(self, *args, **kwargs):
        self.pk = 1  # one row
        super().save(*args, **kwargs)


class Scoped(models.Model):
    """What a rule, a schedule or a manual curtailment is for: a site, a rack, a tag, or (none) every rig."""

    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    rack = models.ForeignKey(Rack, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    tag = models.ForeignKey(Tag, null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True

    @property
    def scope_label(self):
        if self.rack_id:
            return f"rack {self.rack.site.name} / {self.rack.name}"
        if self.site_id:
            return f"site {self.site.name}"
        return f"tag {self.tag.name}" if self.tag_id else "every rig"

    def clean(self):
        if sum(1 for x in (self.site_id, self.rack_id, self.tag_id) if x) > 1:
            raise ValidationError("Choose one of site, rack or tag (or none: every rig).")

    def rigs(self):
        from farm.scope import rigs_in

        return rigs_in(self.site_id, self.rack_id, self.tag_id).filter(enabled=True)


class Rule(Scoped):
    """When an alert has fired on a rig for ``minutes``, its steps, in order, each after its own wait."""

    name = models.CharField(max_length=80, unique=True)
    alert = models.CharField(max_length=20, choices=RULES, help_text="The alert rule that starts it.")
    minutes = models.FloatField(default=5, validators=[MinValueValidator(0)],
                                help_text="How long the alert must have fired before the first step.")
    enabled = models.BooleanField(default=True)

    def __str__(self):
        return self.name


class Step(models.Model):
    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(default=0)
    action = models.CharField(max_length=10, choices=ACTIONS)
    value = models.CharField(max_length=40, blank=True, help_text="sleep: minutes asleep (5); power: watts or a mode.")
    wait = models.FloatField(default=10, validators=[MinValueValidator(0)], help_text=(
        "Minutes after the step before, while the alert still fires (the first step waits the rule's minutes)."))

    class Meta:
        ordering = ["order", "id"]

    def __str__(self):
        return f"{self.get_action_display()} {self.value}".strip()

    def clean(self):
        if self.action == "power" and not self.value.strip():
            raise ValidationError({"value": "Give the power target (watts) or a mode such as low."})
        if self.action == "sleep" and self.value.strip() and not self.value.strip().replace(".", "", 1).isdigit():
            raise ValidationError({"value": "Minutes asleep: a number (empty: 5)."})


class Action(models.Model):
    """One step of a rule for one firing alert: held by a guardrail (tried again), dry run, sent, done,
    failed. Unique per (alert, step): the runner never does a step twice, however often it runs."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="automation_actions")
    rule = models.ForeignKey(Rule, null=True, on_delete=models.SET_NULL, related_name="actions")
    rule_name = models.CharField(max_length=80)
    step = models.PositiveSmallIntegerField()
    rig = models.ForeignKey(Rig, on_delete=models.CASCADE, related_name="automation_actions")
    action = models.CharField(max_length=10, choices=ACTIONS)
    value = models.CharField(max_length=40, blank=True)
    state = models.CharField(max_length=10)  # held, dry-run, sent, done, failed
    message = models.CharField(max_length=500, blank=True)
    dry_run = models.BooleanField(default=False)
    created = models.DateTimeField(default=timezone.now)
    at = models.DateTimeField(null=True, blank=True, db_index=True)  # when it was acted on (or would have been)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [models.UniqueConstraint(fields=["alert", "rule_name", "step"], name="automation_one_step")]

    def __str__(self):
        return f"{self.rule_name} #{self.step + 1} {self.action} on {self.rig_id}: {self.state}"


WEEKDAYS = "0123456"


class Schedule(Scoped):
    """Curtail the rigs of a site, rack or tag during its windows; they resume after."""

    name = models.CharField(max_length=80, unique=True)
    how = models.CharField(max_length=10, choices=HOWS, default="sleep")
    value = models.CharField(max_length=40, blank=True, help_text="power: the target in watts or a mode (low).")
    enabled = models.BooleanField(default=True)

    def __str__(self):
        return self.name


class Window(models.Model):
    """Weekdays and hours in the site's time zone (a rack's site; for a tag or every rig, the panel's), or a
    date range (all day, or those hours). An end before the start runs past midnight."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="windows")
    weekdays = models.CharField(max_length=7, blank=True, default="01234", help_text=(
        "Days as digits, 0 Monday to 6 Sunday (01234: weekdays); empty: every day."))
    start = models.TimeField(null=True, blank=True, help_text="Empty with the end: all day.")
    end = models.TimeField(null=True, blank=True)
    first_day = models.DateField(null=True, blank=True, help_text="A date range: from this day...")
    last_day = models.DateField(null=True, blank=True, help_text="... to this one, included.")

    def clean(self):
        if any(c not in WEEKDAYS for c in self.weekdays):
            raise ValidationError({"weekdays": "Digits 0 (Monday) to 6 (Sunday) only."})
        if (self.start is None) != (self.end is None):
            raise ValidationError("Give both a start and an end, or neither (all day).")
        if self.start is not None and self.start == self.end:
            raise ValidationError({"end": "The end must differ from the start."})
        if self.first_day and self.last_day and self.last_day < self.first_day:
            raise ValidationError({"last_day": "The last day is before the first."})

    def __str__(self):
        hours = f"{self.start:%H:%M}-{self.end:%H:%M}" if self.start else "all day"
        days = f"{self.first_day}..{self.last_day}" if self.first_day or self.last_day else (self.weekdays or "daily")
        return f"{days} {hours}"


class Override(Scoped):
    """A person's "resume now" during a schedule or a high price: schedules and prices leave those rigs
    alone until ``until``. (A "curtail now" is a Curtailment row of its own: reason manual.)"""

    by = models.CharField(max_length=150)
    until = models.DateTimeField()
    created = models.DateTimeField(default=timezone.now)


class PriceFeed(models.Model):
    """An HTTP(S) URL answering prices per MWh over time (README: Curtailment, the shapes it takes)."""

    name = models.CharField(max_length=80, unique=True)
    url = models.URLField(max_length=500)
    every_minutes = models.FloatField(default=5, validators=[MinValueValidator(0.5)])
    enabled = models.BooleanField(default=True)
    points = models.JSONField(default=list, blank=True, editable=False)  # [[unix seconds, price], ...] sorted
    fetched_at = models.DateTimeField(null=True, blank=True, editable=False)
    ok_at = models.DateTimeField(null=True, blank=True, editable=False)
    error = models.CharField(max_length=300, blank=True, editable=False)

    def __str__(self):
        return self.name


class PricePolicy(models.Model):
    """A site curtails when the price is over ``curtail_above`` and resumes under ``resume_below``, each
    state held at least its minimum time."""

    site = models.OneToOneField(Site, on_delete=models.CASCADE, related_name="price_policy")
    feed = models.ForeignKey(PriceFeed, on_delete=models.CASCADE, related_name="policies")
    curtail_above = models.FloatField(help_text="Price per MWh over which the site curtails.")
    resume_below = models.FloatField(help_text="Price per MWh under which it resumes (lower: hysteresis).")
    min_on_minutes = models.FloatField(default=15, validators=[MinValueValidator(0)],
                                       help_text="Running at least this long before curtailing again.")
    min_off_minutes = models.FloatField(default=15, validators=[MinValueValidator(0)],
                                        help_text="Curtailed at least this long before resuming.")
    how = models.CharField(max_length=10, choices=HOWS, default="sleep")
    value = models.CharField(max_length=40, blank=True)
    enabled = models.BooleanField(default=True)
    curtailed = models.BooleanField(default=False, editable=False)
    changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    price = models.FloatField(null=True, blank=True, editable=False)  # the last price it decided on

    class Meta:
        verbose_name_plural = "price policies"

    def clean(self):
        if self.curtail_above is not None and self.resume_below is not None and self.resume_below >= self.curtail_above:
            raise ValidationError({"resume_below": "Must be lower than the curtail price (hysteresis)."})

    def __str__(self):
        return f"{self.site}: over {self.curtail_above:g}, under {self.resume_below:g}"


class Tariff(models.Model):
    """What a site's energy costs per kWh: flat, or by time of day (its periods; the flat price outside)."""

    site = models.OneToOneField(Site, on_delete=models.CASCADE, related_name="tariff")
    flat = models.FloatField(validators=[MinValueValidator(0)], help_text="Price per kWh (outside any period).")

    def __str__(self):
        return f"{self.site}: {self.flat:g}/kWh"


class TariffPeriod(models.Model):
    tariff = models.ForeignKey(Tariff, on_delete=models.CASCADE, related_name="periods")
    start = models.TimeField()
    end = models.TimeField(help_text="Before the start: past midnight.")
    price = models.FloatField(validators=[MinValueValidator(0)], help_text="Price per kWh in this period.")

    class Meta:
        ordering = ["start"]

    def clean(self):
        if self.start == self.end:
            raise ValidationError({"end": "The end must differ from the start."})

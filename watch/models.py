"""What the panel remembers: points of history, alert rules and alerts, notification destinations."""

from django.db import models

from minerpanel.encryption import EncryptedField
from rigs.models import Rig

STATES = {"ok": 0, "warn": 1, "err": 2, "down": 3}


class Point(models.Model):
    """One rig over one period: ``res`` minutes from ``t`` (epoch seconds). 1-minute points are
    recorded by the poller's rounds; 15- and 60-minute ones are roll-ups of the finer ones."""

    rig = models.ForeignKey(Rig, on_delete=models.CASCADE, db_index=False, related_name="+")
    res = models.PositiveSmallIntegerField()
    t = models.IntegerField()
    hs = models.FloatField(null=True)        # average hashrate, H/s (mean over the period)
    hs_now = models.FloatField(null=True)    # current hashrate, H/s
    hs_min = models.FloatField(null=True)
    hs_max = models.FloatField(null=True)
    acc = models.IntegerField(null=True)     # deltas over the period
    rej = models.IntegerField(null=True)
    stale = models.IntegerField(null=True)
    hw = models.IntegerField(null=True)
    temp = models.FloatField(null=True)      # hottest sensor, mean over the period
    temp_max = models.FloatField(null=True)
    chip_temp = models.FloatField(null=True)  # hottest chip (figures' max_chip_temp), the highest over the period
    fan = models.FloatField(null=True)
    power = models.FloatField(null=True)     # W
    pool = models.SmallIntegerField(null=True)  # the number (POOL) of the pool in use; the highest in a roll-up
    state = models.PositiveSmallIntegerField(default=0)  # worst of STATES over the period
    units = models.IntegerField(null=True)   # devices, workers or clients alive
    devs = models.JSONField(null=True)       # 1-minute points only: [[label, H/s, °C, status], ...]

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rig", "res", "t"], name="watch_point_rig_res_t")]
        indexes = [models.Index(fields=["res", "t"], name="watch_point_res_t")]


class FarmPoint(models.Model):
    """The farm per site and algorithm over one period, from every rig's latest state (history.farm_now),
    written by one poller (shard 0). Points of older versions have a row per poller's ``shard``: sums
    read them. ``site`` is the site's name when the point was written ("" for rigs in no site)."""

    res = models.PositiveSmallIntegerField()
    t = models.IntegerField()
    shard = models.PositiveSmallIntegerField(default=0)
    site = models.CharField(max_length=64, blank=True, default="")
    algorithm = models.CharField(max_length=40)
    hs = models.FloatField(default=0)
    rigs = models.IntegerField(default=0)
    healthy = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["res", "t", "shard", "site", "algorithm"],
                                               name="watch_farm_site_key")]


class Mark(models.Model):
    """Small bookkeeping values: how far roll-ups have gone, the poller's last round."""

    name = models.CharField(max_length=40, primary_key=True)
    value = models.FloatField()


RULES = [
    ("unreachable", "Rig unreachable or stale"),
    ("hashrate", "Hashrate under its 24-hour median"),
    ("device", "A device Sick, Dead or disabled"),
    ("temperature", "Temperature over a threshold"),
    ("pool", "Pool failover, or every pool dead"),
    ("rejects", "Reject rate over a threshold"),
    ("hw", "Hardware-error rate over a threshold"),
    ("fleet", "Pool workers or fleet clients dropping"),
]


class AlertRule(models.Model):
    """A rule's settings: the one without a rig is the default, one with a rig overrides it for that rig."""

    rule = models.CharField(max_length=20, choices=RULES)
    rig = models.ForeignKey(Rig, null=True, blank=True, on_delete=models.CASCADE,
                            help_text="Empty: the default for every rig.")
    enabled = models.BooleanField(default=True)
    threshold = models.FloatField(null=True, blank=True, help_text=(
        "unreachable: minutes; hashrate: % of the 24-hour median; temperature: °C; rejects, hw: %; "
        "fleet: workers or clients lost."))
    rounds = models.PositiveSmallIntegerField(default=3, help_text=(
        "Poll rounds a condition must hold to fire, and be gone to resolve."))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rule", "rig"], name="watch_rule_rig"),
                       models.UniqueConstraint(fields=["rule"], condition=models.Q(rig=None),
                                               name="watch_rule_default")]
        ordering = ["rule", "rig__name"]

    def __str__(self):
        return f"{self.get_rule_display()} ({self.rig or 'default'})"


class Alert(models.Model):
    """One condition on one rig: pending (held fewer rounds than needed), firing, resolved."""

    rig = models.ForeignKey(Rig, on_delete=models.CASCADE, related_name="alerts")
    rule = models.CharField(max_length=20, choices=RULES)
    key = models.CharField(max_length=100)  # what exactly: "GPU 1:Sick", "pool 2"
    text = models.CharField(max_length=300)
    level = models.CharField(max_length=4, default="err")  # "warn" or "err", as the rig's health has it
    state = models.CharField(max_length=10, default="pending", db_index=True)
    count = models.PositiveSmallIntegerField(default=1)  # rounds held (pending) or gone (firing)
    started = models.DateTimeField()
    ended = models.DateTimeField(null=True, blank=True)
    acked_by = models.CharField(max_length=150, blank=True)
    acked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started", "-id"]
        indexes = [models.Index(fields=["rig", "rule", "key", "state"], name="watch_alert_key")]

    def __str__(self):
        return f"{self.rig} {self.text} ({self.state})"

    @property
    def state_text(self):
        """"✖ firing" for a problem, "⚠ firing" for a warning, "… pending"."""
        if self.state == "firing":
            return ("⚠" if self.level == "warn" else "✖") + " firing"
        return "… pending" if self.state == "pending" else self.state


class Silence(models.Model):
    """No notifications for a rig, a rule, or a rule on a rig, until a time."""

    rig = models.ForeignKey(Rig, null=True, blank=True, on_delete=models.CASCADE)
    rule = models.CharField(max_length=20, choices=RULES, blank=True)
    until = models.DateTimeField()
    by = models.CharField(max_length=150)
    created = models.DateTimeField(auto_now_add=True)


class Destination(models.Model):
    """Where notifications go: an apprise URL (mailto://, json://, tgram://, ntfy://...). The URL is a secret:
    stored encrypted, as rig tokens are."""

    name = models.CharField(max_length=64, unique=True)
    url = EncryptedField(max_length=1000, help_text=(
        "An apprise URL, e.g. mailtos://user:pass@smtp.example.com?to=ops@example.com or "
        "json://hooks.example.com/minerpanel. Never shown again after saving."))
    rules = models.CharField(max_length=200, blank=True, help_text="Comma-separated rule names; empty: every rule.")
    resolved = models.BooleanField(default=True, help_text="Also say when an alert resolves.")
    enabled = models.BooleanField(default=True)
    last_ok_at = models.DateTimeField(null=True, editable=False)
    last_error = models.CharField(max_length=300, blank=True, editable=False)
    last_error_at = models.DateTimeField(null=True, editable=False)

    def __str__(self):
        return self.name

    def wants(self, rule):
        names = [r.strip() for r in self.rules.split(",") if r.strip()]
        return not names or rule in names


class Notification(models.Model):
    """One message to one destination, sent by the notifier thread, retried with backoff."""

    destination = models.ForeignKey(Destination, on_delete=models.CASCADE, related_name="notifications")
    alert = models.ForeignKey(Alert, null=True, on_delete=models.CASCADE)
    title = models.CharField(max_length=200)
    body = models.TextField()
    created = models.DateTimeField(auto_now_add=True)
    next_try = models.DateTimeField(db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True)
    error = models.CharField(max_length=300, blank=True)
    done = models.BooleanField(default=False, db_index=True)

import ipaddress
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from minerpanel.encryption import EncryptedField
from rigs import drivers
from rigs.drivers import fastjson
from rigs.readings.freshness import reachability

HOSTNAME = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)"
                      r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$")


def validate_host(value):
    try:
        ipaddress.ip_address(value.strip("[]"))
        return
    except ValueError:
        pass
    if not HOSTNAME.match(value):
        raise ValidationError(
            "%(value)s is neither an IP address nor a host name (letters, digits, dots and dashes).",
            params={"value": value},
        )


# The settings that say where a rig's secret (token or password) is sent. Changing one must not
# carry the stored secret along to the new place: it is entered again, or removed (issue 23).
SECRET_DESTINATION = ("kind", "host", "port", "web_port", "path")


class Rig(models.Model):
    name = models.CharField(max_length=64, unique=True)
    host = models.CharField(max_length=253, validators=[validate_host],
                            help_text="IP address or host name of the miner.")
    port = models.PositiveIntegerField(
        default=4028, validators=[MinValueValidator(1), MaxValueValidator(65535)],
        help_text="The miner's --api-port (4028 unless changed); xmrig: its http.port.",
    )
    kind = models.CharField(max_length=32, choices=drivers.choices, default="cgminer")
    token = EncryptedField(max_length=200, blank=True,
                             help_text="xmrig: the API's http.access-token (sent as a Bearer token). "
                                       "XMRigCC server: the admin password (config_cc.json's pass). "
                                       "ASIC firmwares: the web or API password (Antminer web, Whatsminer API, "
                                       "VNish web, Braiins OS).")
    username = models.CharField(max_length=100, blank=True,
                                help_text="XMRigCC server: the admin user (config_cc.json's user). "
                                          "ASIC firmwares: the web or API user (Antminer and Braiins OS root, "
                                          "Whatsminer API v3 super); blank for the usual one.")
    web_port = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(65535)],
        help_text="ASIC firmwares: the port of the second interface when it is not the usual one "
                  "(Antminer, VNish, Braiins OS web: 80; Whatsminer API v3: 4433).")
    path = models.CharField(max_length=300, blank=True,
                            help_text="ckpool: its socket directory (ckpool -s, default /tmp/ckpool).")
    logdir = models.CharField(max_length=300, blank=True,
                              help_text="ckpool: its logs directory (logdir in ckpool.conf; "
                                        "'logs' under ckpool's working directory).")
    description = models.CharField(max_length=200, blank=True)
    enabled = models.BooleanField(default=True, help_text="Disabled rigs are not polled.")
    readonly = models.BooleanField(default=False, help_text="Never send privileged commands to this rig.")
    temp_warn = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(200)],
                                  help_text="°C at which this rig's health is a warning; empty: TEMP_WARN.")
    temp_err = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0), MaxValueValidator(200)],
                                 help_text="°C at which this rig's health is an error; empty: TEMP_ERROR.")
    order = models.IntegerField(default=0, help_text="Rigs are listed by this, then by name.")
    simulated = models.BooleanField(default=False, help_text="Served by the built-in simulator under `make run`.")
    discovered = models.BooleanField(default=False, help_text="Added by rig discovery (multicast or a scan).")
    # The answer to `privileged`, cached; refreshed on demand and by every command's reply.
    access_ok = models.BooleanField(null=True, editable=False)
    access_msg = models.CharField(max_length=500, blank=True, editable=False)
    access_checked_at = models.DateTimeField(null=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order", "name"]
        # the panel's order: a rig page's previous and next rig, one index range each whatever the farm
        indexes = [models.Index(fields=["order", "name"], name="rig_panel_order")]
        constraints = [models.UniqueConstraint(fields=["host", "port", "path"], name="unique_rig_address")]
        permissions = [("execute_scripts", "Can run shell scripts on XMRigCC miners (EXECUTE)")]

    def __str__(self):
        return self.name

    @property
    def driver(self):
        """The module that talks to this kind of rig (rigs/drivers/); None for a kind no driver knows."""
        return drivers.driver(self.kind) if self.kind in drivers.MODULES else None

    @property
    def address(self):
        shown = getattr(self.driver, "address", None)
        return shown(self) if shown else f"{self.host}:{self.port}"

    def secret_would_move(self, changed):
        """The settings among ``changed`` (field names) that would send this rig's stored secret
        somewhere else: none when it holds no secret."""
        return [name for name in SECRET_DESTINATION if name in changed] if self.pk and self.token else []

    def clean(self):
        check = getattr(self.driver, "check", None)
        errors = check(self) if check else {}
        if self.temp_warn is not None and self.temp_err is not None and self.temp_warn > self.temp_err:
            errors["temp_warn"] = "The warning temperature must not be above the error temperature."
        if errors:
            raise ValidationError(errors)

    def validate_constraints(self, exclude=None):
        try:
            super().validate_constraints(exclude)
        except ValidationError as exc:
            if Rig.objects.filter(host=self.host, port=self.port, path=self.path).exclude(pk=self.pk).exists():
                raise ValidationError({"port": f"Another rig already uses {self.address}."}) from exc
            raise


class AuditEntry(models.Model):
    """Who asked which rig to do what, and what the rig said. Never edited."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    username = models.CharField(max_length=150, blank=True)
    address = models.GenericIPAddressField(null=True)
    rig = models.ForeignKey("Rig", null=True, on_delete=models.SET_NULL)
    rig_name = models.CharField(max_length=64, blank=True)
    command = models.CharField(max_length=40)
    params = models.JSONField(default=dict, blank=True)  # secrets redacted
    # S I W E F (the rig's letter), refused, invalid, error; "sent" until the rig answers ("interrupted"
    # when its process stopped first: control.mark_interrupted); "locked" (logins)
    outcome = models.CharField(max_length=12)
    code = models.IntegerField(null=True)
    message = models.TextField(blank=True)
    # refusals without login are one row per source and minute, counted
    count = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username} {self.command} {self.rig_name}: {self.outcome}"


class SnapshotJSONField(models.JSONField):
    """JSON through orjson (rigs/drivers/fastjson.py). Having get_placeholder keeps PostgreSQL's bulk
    upsert on VALUES rows: Django's UNNEST arrays quote every JSON text again in Python,
    which made the poller's writes four times slower."""

    def __init__(self, *args, **kwargs):
        kwargs.update(encoder=fastjson.Encoder, decoder=fastjson.Decoder)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("encoder", None)
        kwargs.pop("decoder", None)
        return name, path, args, kwargs

    def get_placeholder(self, value, compiler, connection):
        return "%s"

    def from_db_value(self, value, expression, connection):
        """orjson straight away: JSONField makes a decoder object for every value it reads."""
        obj = fastjson.loads(value) if isinstance(value, str) else None
        return obj if obj is not None else super().from_db_value(value, expression, connection)

    def db_check(self, connection):
        """No CHECK (JSON_VALID(...)) on SQLite: the text is always our encoder's, and SQLite reading
        every snapshot's 8 KB again cost a third of the poller's writes (migration 0013 drops it)."""
        return None


def snapshot_json():
    return SnapshotJSONField(default=dict, blank=True)


class SectionsOf(models.Func):
    """Some sections of a snapshot's ``sections``, read in one go: a JSON array of them in the order
    named (null where absent). SQLite parses the JSON text once for all of them, where a key
    transform per section parsed it again for each."""

    output_field = SnapshotJSONField()

    def __init__(self, expression, names):
        self.names = tuple(names)
        super().__init__(expression)

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        paths = ", ".join(["%s"] * len(self.names))
        return f"json_extract({sql}, {paths})", (*params, *(f'$."{name}"' for name in self.names))

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        parts = ", ".join([f"({sql} -> %s)"] * len(self.names))
        return f"jsonb_build_array({parts})", tuple(p for name in self.names for p in (*params, name))


def with_sections(rigs, names):
    """The rigs of the queryset ``rigs`` with their snapshots, and of each snapshot only the sections
    ``names``, read alone (at 100,000 rigs the whole column is gigabytes): ``rig.read`` is
    {name: rows} for those the rig has."""
    names = tuple(names)
    found = list(rigs.select_related("snapshot").defer("snapshot__sections")
                 .annotate(listed=SectionsOf(models.F("snapshot__sections"), names)))
    for rig in found:
        values = rig.listed if isinstance(rig.listed, list) else []
        rig.read = {name: v for name, v in zip(names, values) if isinstance(v, list)}
    return found


class Snapshot(models.Model):
    """The latest answer of a rig: parsed sections, or why there is none."""

    rig = models.OneToOneField(Rig, on_delete=models.CASCADE, primary_key=True, related_name="snapshot")
    # {"SUMMARY": [{...}], "DEVS": [...], "POOLS": [...], ...} as the cgminer API names them
    sections = snapshot_json()
    # {"summary": {"STATUS": "S", "Code": 11, "Msg": "Summary", ...}, ...}
    statuses = snapshot_json()
    error = models.TextField(blank=True)
    error_kind = models.CharField(max_length=16, blank=True)
    latency_ms = models.FloatField(null=True, blank=True)
    polled_at = models.DateTimeField(null=True, blank=True)
    last_ok_at = models.DateTimeField(null=True, blank=True)
    joins = models.BooleanField(null=True, help_text="Whether the rig accepts joined commands (API >= 3.1).")
    # What the summary page shows, small enough to read for a thousand rigs at once.
    brief = snapshot_json()
    # How the rig writes its numbers, learned now and then from its raw replies (rigs/readings/digits.py):
    # {"at": epoch, "decimals": {"Temperature": 2, ...}}; null until learned
    digits = SnapshotJSONField(null=True, blank=True, default=None)

    def __str__(self):
        return f"snapshot of {self.rig_id}"

    def state(self, now=None):
        """'ok', 'stale' (old data), 'unreachable' (last poll failed) or 'new'."""
        return reachability(self.polled_at, self.last_ok_at, self.error, now or timezone.now())

    def age(self, now=None):
        """Seconds since the rig last answered, or None."""
        if self.last_ok_at is None:
            return None
        return ((now or timezone.now()) - self.last_ok_at).total_seconds()


class PollerLease(models.Model):
    """Which `pollrigs` process polls a shard, until when; renewed with every write (rigs/polling/lease.py)."""

    shard = models.CharField(max_length=32, primary_key=True)  # "all" or "K/N"
    owner = models.CharField(max_length=200)  # host:pid:random of the process
    expires = models.DateTimeField()

    def __str__(self):
        return f"shard {self.shard}: {self.owner} until {self.expires:%H:%M:%S}"


class NominalPower(models.Model):
    """A model's nominal power, for the rigs whose firmware reports none (issue 26 §5): the figures
    estimate their power from it, marked as estimated. ``pattern`` is matched, without regard to case,
    against the model the rig reports (VERSION Type/PROD/MODEL, a device's Model, LuxOS CONFIG Model...):
    a plain text matches where it is contained, words in any spacing ("S19j Pro" matches "Antminer
    S19J-Pro"); the longest pattern that matches wins."""

    pattern = models.CharField(max_length=100, unique=True,
                               help_text="Part of the model name the miner reports, e.g. \"S19j Pro\" or "
                                         "\"Avalon Q\"; the longest matching pattern wins.")
    watts = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(100000)],
                                        help_text="Nominal power at the wall, W.")
    terahash = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0)],
                                 help_text="Nominal hashrate, TH/s (for the estimated efficiency).")
    source = models.CharField(max_length=300, blank=True, help_text="Where the figures come from.")

    class Meta:
        verbose_name = "nominal power of a model"
        verbose_name_plural = "nominal power by model"
        ordering = ["pattern"]

    def __str__(self):
        return f"{self.pattern}: {self.watts} W"


class Curtailment(models.Model):
    """One curtailment of one rig by rigs/control/curtail.py (a schedule, a price, a person): how, why,
    the usual power setting to set back, from when to when, and what the rig read back."""

    rig = models.ForeignKey(Rig, on_delete=models.CASCADE, related_name="curtailments")
    how = models.CharField(max_length=10)  # sleep, power
    value = models.CharField(max_length=40, blank=True)  # the power target or mode
    restore = models.CharField(max_length=40, blank=True)  # the usual setting read before (a power target...)
    reason = models.CharField(max_length=200, blank=True)
    actor = models.CharField(max_length=150)
    started_at = models.DateTimeField(default=timezone.now)
    until = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    read_back = models.BooleanField(null=True)  # what the poll after the command showed: curtailed, not, unknown
    # the rig's power just before (reported, else estimated): the energy not used is this × the time curtailed
    watts_before = models.FloatField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["rig", "ended_at"], name="rigs_curtail_open")]

    def __str__(self):
        return f"{self.rig_id} {self.how} {self.value} since {self.started_at:%Y-%m-%d %H:%M}"


class ReadyTable(models.Model):
    """A farm table as the pages show it, kept up to date by the poller's side (rigs/web/ready.py):
    its counts, its totals added up from every rig's share (ReadyPart), and its Σ rows rendered. A view
    reads this and one page of ReadyRows; nothing of the farm is worked out per request."""

    key = models.CharField(max_length=64, primary_key=True)  # "rigs", "summary", "devs", "pools", "page:3:2"
    rows = models.IntegerField(default=0)
    problems = models.IntegerField(default=0)  # rows of rigs needing attention, or marked (stale, late)
    bad_rows = models.IntegerField(default=0)  # rows of rigs needing attention
    sums = SnapshotJSONField(default=dict, blank=True)  # {name: [total, contributors, float contributors]}
    head = SnapshotJSONField(default=dict, blank=True)  # Σ rows' HTML, notes, columns: what the view draws
    source = models.CharField(max_length=64, blank=True)  # what it was built from (a page's definition)
    generation = models.CharField(max_length=32, blank=True)  # this build's; parts of another one are not its
    built_at = models.DateTimeField(null=True)
    exact_at = models.DateTimeField(null=True)  # sums last added up from every part (not by differences)
    viewed_at = models.DateTimeField(null=True)  # custom pages nobody views stop being kept
    # a new name each time what a view draws of it may have changed (its rows, counts, Σ rows, columns):
    # tables drawn for one stamp are shared by every viewer (rigs/web/drawn.py); "" never shared
    stamp = models.CharField(max_length=16, blank=True)

    def __str__(self):
        return f"ready table {self.key}"


class ReadyRow(models.Model):
    """One displayed row of a farm table, rendered once by the poller's side. ``html`` is the <tr> as
    tables.Row.html() writes it (a custom page's: its cells as JSON, drawn for the columns the table
    has); ``sys_html`` the cells only sys users see (the Address); ``text`` what a filter searches."""

    table = models.CharField(max_length=64)
    rig = models.ForeignKey(Rig, null=True, on_delete=models.CASCADE, related_name="+")
    seq = models.IntegerField(default=0)  # within the rig (within the table for rows of no rig)
    problem = models.BooleanField(default=False)
    state = models.CharField(max_length=4, blank=True)  # the rig's: ok, warn, err, new
    order = models.IntegerField(default=0)  # the rig's (Rig.Meta.ordering)
    name = models.CharField(max_length=64, blank=True)
    text = models.TextField(blank=True)
    html = models.TextField(blank=True)
    sys_html = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["table", "-problem", "order", "name", "seq"], name="ready_page")]
        constraints = [models.UniqueConstraint(fields=["table", "rig", "seq"], name="ready_row_unique")]

    def __str__(self):
        return f"{self.table} row {self.rig_id}/{self.seq}"


class ReadyPart(models.Model):
    """A rig's share of every ReadyTable's totals and counts ({table: {...}}), and when its rows turn
    (its data goes stale, a reason's 'since' shows) if no newer poll comes first."""

    rig = models.OneToOneField(Rig, on_delete=models.CASCADE, primary_key=True, related_name="+")
    sums = SnapshotJSONField(default=dict, blank=True)
    turns_at = models.DateTimeField(null=True, db_index=True)

    def __str__(self):
        return f"ready part of {self.rig_id}"


class ReadyScope(models.Model):
    """A ReadyTable's totals over the rigs of one site, one rack or one tag (``scope``: "site:Oslo",
    "rack:A1", "tag:hot", rigs/web/scopes.py), kept by the writer as the table's are (rigs/web/scope_sums.py):
    a view filtered to one of them reads its counts and Σ rows here, whatever the farm's size."""

    table = models.CharField(max_length=64)
    scope = models.CharField(max_length=80)
    sums = SnapshotJSONField(default=dict, blank=True)  # as ReadyTable.sums, of the scope's rigs only

    class Meta:
        constraints = [models.UniqueConstraint(fields=["table", "scope"], name="ready_scope_unique")]

    def __str__(self):
        return f"{self.table} of {self.scope}"

from django import forms
from django.contrib import admin

from . import drivers
from .models import AuditEntry, Curtailment, NominalPower, Rig, Snapshot


def connection_fieldsets():
    """A fieldset per group of connection fields the drivers use together (their FIELDS), named after
    the kinds that use them, the token's "remove" box beside the token: a new kind's fields appear
    with it."""
    out = []
    for kinds, fields in drivers.field_groups():
        names = list(fields)
        if "token" in names:
            names.insert(names.index("token") + 1, "clear_token")
        title = ", ".join(drivers.driver(k).LABEL.split(" (")[0] for k in kinds)
        out.append((title, {"fields": tuple(names)}))
    return out


class RigForm(forms.ModelForm):
    """The token/password is never sent back to the browser; leaving it blank keeps it, unless the
    rig's address or kind changes: the stored secret is never sent to a new place."""

    token = forms.CharField(required=False, label="Token or password", widget=forms.PasswordInput(render_value=False),
                            help_text=Rig._meta.get_field("token").help_text + " Leave blank to keep the current one "
                                      "(it must be entered again when the address or kind changes).")
    clear_token = forms.BooleanField(required=False, label="Remove the token/password")

    class Meta:
        model = Rig
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.token:
            self.fields["token"].widget.attrs["placeholder"] = "••• (set)"

    def clean(self):
        data = super().clean()
        if data.get("clear_token"):
            data["token"] = ""
        elif not data.get("token") and self.instance.pk:
            moved = self.instance.secret_would_move(self.changed_data)
            if moved:
                names = " and ".join(str(Rig._meta.get_field(name).verbose_name) for name in moved)
                self.add_error("token", f"Enter the token or password again: the {names} changed, and the stored "
                                        "one is never sent to a new place (or tick \"Remove the token/password\").")
            else:
                data["token"] = self.instance.token
        return data


@admin.register(Rig)
class RigAdmin(admin.ModelAdmin):
    form = RigForm
    list_display = ("name", "kind", "address", "enabled", "readonly", "order", "description")
    list_editable = ("enabled", "order")
    list_filter = ("enabled", "readonly", "kind", "discovered")
    search_fields = ("name", "host", "path", "description")
    fieldsets = [
        (None, {"fields": ("name", "kind", "description", "enabled", "readonly", "order")}),
        *connection_fieldsets(),
        ("Health", {"fields": ("temp_warn", "temp_err"),
                    "description": "This rig's temperature thresholds; empty: TEMP_WARN and TEMP_ERROR."}),
    ]


@admin.register(Snapshot)
class SnapshotAdmin(admin.ModelAdmin):
    list_display = ("rig", "polled_at", "last_ok_at", "latency_ms", "error")
    readonly_fields = [f.name for f in Snapshot._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the log is written by the panel, never edited."""

    list_display = ("at", "username", "address", "rig_name", "command", "outcome", "code", "count", "message")
    list_filter = ("outcome", "command")
    search_fields = ("username", "rig_name", "command", "message")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(NominalPower)
class NominalPowerAdmin(admin.ModelAdmin):
    """The nominal power by model: the estimate for a rig whose firmware reports no power (marked estimated)."""

    list_display = ("pattern", "watts", "terahash", "efficiency", "source")
    search_fields = ("pattern", "source")

    @admin.display(description="J/TH")
    def efficiency(self, obj):
        return f"{obj.watts / obj.terahash:.1f}" if obj.terahash else "–"


@admin.register(Curtailment)
class CurtailmentAdmin(admin.ModelAdmin):
    """What was curtailed, how, why and until when (written by rigs/control/curtail.py: read-only here)."""

    list_display = ("rig", "how", "value", "reason", "actor", "started_at", "until", "ended_at", "read_back")
    list_filter = ("how", "ended_at")
    search_fields = ("rig__name", "reason", "actor")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

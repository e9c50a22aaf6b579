from django.contrib import admin

from .models import AuditEntry, Rig, Snapshot


@admin.register(Rig)
class RigAdmin(admin.ModelAdmin):
    list_display = ("name", "host", "port", "kind", "enabled", "readonly", "order", "description")
    list_editable = ("enabled", "order")
    list_filter = ("enabled", "readonly", "kind")
    search_fields = ("name", "host", "description")


@admin.register(Snapshot)
class SnapshotAdmin(admin.ModelAdmin):
    list_display = ("rig", "polled_at", "last_ok_at", "latency_ms", "error")
    readonly_fields = [f.name for f in Snapshot._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the log is written by the panel, never edited."""

    list_display = ("at", "username", "address", "rig_name", "command", "outcome", "code", "message")
    list_filter = ("outcome", "command")
    search_fields = ("username", "rig_name", "command", "message")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

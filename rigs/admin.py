from django.contrib import admin

from .models import Rig, Snapshot


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

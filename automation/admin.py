from django.contrib import admin, messages

from . import pricefeed
from .models import (
    Action,
    AutomationSettings,
    Override,
    PriceFeed,
    PricePolicy,
    Rule,
    Schedule,
    Step,
    Tariff,
    TariffPeriod,
    Window,
)


@admin.register(AutomationSettings)
class AutomationSettingsAdmin(admin.ModelAdmin):
    """One row: the global switch, dry run and the guardrails."""

    list_display = ("__str__", "enabled", "dry_run", "max_per_hour", "site_percent", "cooldown_minutes", "changed")

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not AutomationSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        if not AutomationSettings.objects.exists():  # the row, with the settings' defaults, to edit
            AutomationSettings.current().save()
        return super().changelist_view(request, extra_context)


class StepInline(admin.TabularInline):
    model = Step
    extra = 1


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = ("name", "alert", "minutes", "scope_label", "enabled")
    list_editable = ("enabled",)
    inlines = [StepInline]


class WindowInline(admin.TabularInline):
    model = Window
    extra = 1


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    list_display = ("name", "scope_label", "how", "value", "enabled")
    list_editable = ("enabled",)
    inlines = [WindowInline]


@admin.register(PriceFeed)
class PriceFeedAdmin(admin.ModelAdmin):
    list_display = ("name", "url", "every_minutes", "enabled", "ok_at", "error")
    readonly_fields = ("fetched_at", "ok_at", "error")
    actions = ["fetch_now"]

    @admin.action(description="Fetch the selected feeds now")
    def fetch_now(self, request, queryset):
        for feed in queryset:
            if pricefeed.refresh(feed, force=True):
                messages.success(request, f"{feed.name}: {len(feed.points)} prices.")
            else:
                messages.error(request, f"{feed.name}: {feed.error}")


@admin.register(PricePolicy)
class PricePolicyAdmin(admin.ModelAdmin):
    list_display = ("site", "feed", "curtail_above", "resume_below", "min_on_minutes", "min_off_minutes", "how",
                    "enabled", "curtailed", "price", "changed_at")
    readonly_fields = ("curtailed", "price", "changed_at")


class TariffPeriodInline(admin.TabularInline):
    model = TariffPeriod
    extra = 1


@admin.register(Tariff)
class TariffAdmin(admin.ModelAdmin):
    list_display = ("site", "flat")
    inlines = [TariffPeriodInline]


@admin.register(Override)
class OverrideAdmin(admin.ModelAdmin):
    list_display = ("scope_label", "until", "by", "created")


@admin.register(Action)
class ActionAdmin(admin.ModelAdmin):
    """What the rules did (read only: the runner writes it)."""

    list_display = ("created", "at", "rule_name", "step", "rig", "action", "state", "dry_run", "message")
    list_filter = ("state", "action", "dry_run")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

from django import forms
from django.contrib import admin, messages

from . import notify
from .models import Alert, AlertRule, Destination, Notification, Silence


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    list_display = ("rule", "rig", "enabled", "threshold", "rounds")
    list_editable = ("enabled", "threshold", "rounds")
    list_filter = ("rule", "enabled")


class DestinationForm(forms.ModelForm):
    """The URL holds secrets (tokens, passwords): it is never sent back to the browser; blank keeps it."""

    url = forms.CharField(required=False, label="Apprise URL", widget=forms.PasswordInput(render_value=False),
                          help_text=Destination._meta.get_field("url").help_text
                          + " Leave blank to keep the current one.")

    class Meta:
        model = Destination
        fields = ("name", "url", "rules", "resolved", "enabled")

    def clean_url(self):
        url = self.cleaned_data.get("url", "").strip()
        if not url and self.instance.pk:
            return self.instance.url
        if not url:
            raise forms.ValidationError("An apprise URL is needed.")
        import apprise

        if not apprise.Apprise().add(url):
            raise forms.ValidationError("apprise does not understand this URL (see its list of services).")
        return url


@admin.register(Destination)
class DestinationAdmin(admin.ModelAdmin):
    form = DestinationForm
    list_display = ("name", "service", "rules", "enabled", "last_ok_at", "last_error", "last_error_at")
    readonly_fields = ("last_ok_at", "last_error", "last_error_at")
    actions = ["send_test"]

    @admin.display(description="service")
    def service(self, obj):
        return obj.url.split("://", 1)[0] if "://" in obj.url else "?"  # the scheme only: the rest is secret

    @admin.action(description="Send a test notification")
    def send_test(self, request, queryset):
        for d in queryset:
            error = notify.send(d.url, "MinerPanel test", f"A test notification to {d.name}.")
            if error:
                d.last_error = error
                d.save(update_fields=["last_error"])
                self.message_user(request, f"{d.name}: {error}", messages.ERROR)
            else:
                self.message_user(request, f"{d.name}: sent", messages.SUCCESS)


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("rig", "rule", "text", "state", "started", "ended", "acked_by")
    list_filter = ("state", "rule")
    search_fields = ("rig__name", "text")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Silence)
class SilenceAdmin(admin.ModelAdmin):
    list_display = ("rig", "rule", "until", "by", "created")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("destination", "title", "created", "attempts", "sent_at", "done", "error")
    list_filter = ("done", "destination")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

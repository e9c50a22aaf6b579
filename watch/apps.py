from django.apps import AppConfig


class WatchConfig(AppConfig):
    """History, charts, alerts, notifications and Prometheus metrics, fed by the poller's rounds."""

    name = "watch"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from rigs.polling import hooks

        from . import rounds

        hooks.after_round.register(rounds.after_round)
        hooks.kept_for_round.register(rounds.sections_read)
        hooks.stopping.register(rounds.wait)

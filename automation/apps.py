from django.apps import AppConfig


class AutomationConfig(AppConfig):
    """The watchdog's rules and guardrails, curtailment by schedule and price, energy per site, pools for a
    group (issue 26 §3, 4, 5, 7). Runs on the lead poller's rounds (runner.after_round) or `manage.py automate`."""

    name = "automation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.conf import settings

        from rigs.polling import hooks
        from watch import metrics

        from . import runner
        from .metrics import Sites

        if settings.AUTOMATION_IN_POLLER:
            hooks.after_round.register(runner.after_round)
            hooks.stopping.register(runner.wait)
        metrics.COLLECTORS.append(Sites())

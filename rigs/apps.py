from django.apps import AppConfig


class RigsConfig(AppConfig):
    name = "rigs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from rigs.discovery import register
        from rigs.models import NominalPower
        from rigs.polling import batch_cache, hooks
        from rigs.readings import power
        from rigs.web import view_models

        batch_cache.connect()  # memoised farm figures forget a rig edited or a snapshot saved
        hooks.after_batch.register(view_models.warm)
        hooks.rebuild_viewed.register(view_models.rebuild_overviews)
        hooks.lead_round.register(register.on_lead_round)
        power.use(lambda: list(NominalPower.objects.values_list("pattern", "watts", "terahash")))
        for signal in (post_save, post_delete):  # an edit in the admin counts at once in this process
            signal.connect(lambda **kw: power.forget(), sender=NominalPower, weak=False,
                           dispatch_uid=f"nominal-power-{signal is post_save}")

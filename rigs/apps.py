from django.apps import AppConfig


class RigsConfig(AppConfig):
    name = "rigs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from rigs.discovery import register
        from rigs.models import NominalPower
        from rigs.polling import hooks
        from rigs.readings import power
        from rigs.web import ready, ready_farm

        ready.register(ready_farm.FARM)  # the Overview's tables, as ready rows
        ready.connect()  # a rig edited or deleted, a snapshot saved through the ORM: its rows written again
        hooks.after_batch.register(ready.write)  # the poller's batches
        hooks.lead_round.register(register.on_lead_round)
        power.use(lambda: list(NominalPower.objects.values_list("pattern", "watts", "terahash")))
        for signal in (post_save, post_delete):  # an edit in the admin counts at once in this process
            signal.connect(lambda **kw: power.forget(), sender=NominalPower, weak=False,
                           dispatch_uid=f"nominal-power-{signal is post_save}")

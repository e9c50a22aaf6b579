from django.apps import AppConfig


class RigsConfig(AppConfig):
    name = "rigs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from rigs.discovery import register
        from rigs.polling import hooks
        from rigs.web import ready, ready_farm

        ready.register(ready_farm.FARM)  # the Overview's tables, as ready rows
        ready.connect()  # a rig edited or deleted, a snapshot saved through the ORM: its rows written again
        hooks.after_batch.register(ready.write)  # the poller's batches
        hooks.lead_round.register(register.on_lead_round)

from django.apps import AppConfig


class RigsConfig(AppConfig):
    name = "rigs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from rigs.discovery import register
        from rigs.polling import batch_cache, hooks
        from rigs.web import view_models

        batch_cache.connect()  # memoised farm figures forget a rig edited or a snapshot saved
        hooks.after_batch.register(view_models.warm)
        hooks.rebuild_viewed.register(view_models.rebuild_overviews)
        hooks.lead_round.register(register.on_lead_round)

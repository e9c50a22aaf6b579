from django.apps import AppConfig


class RigsConfig(AppConfig):
    name = "rigs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from rigs.polling import batch_cache

        batch_cache.connect()  # memoised farm figures forget a rig edited or a snapshot saved

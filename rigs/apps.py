from django.apps import AppConfig


class RigsConfig(AppConfig):
    name = "rigs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from .pages import data_changed

        # pages built once and shared (pages.shared) are built again after an edit in this process
        for model in ("rigs.Rig", "rigs.Snapshot", "custompages.CustomPage", "custompages.PageSection"):
            post_save.connect(data_changed, sender=model, dispatch_uid=f"pages-{model}")
            post_delete.connect(data_changed, sender=model, dispatch_uid=f"pages-del-{model}")

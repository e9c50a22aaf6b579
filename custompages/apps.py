from django.apps import AppConfig


class CustomPagesConfig(AppConfig):
    name = "custompages"
    verbose_name = "Custom pages"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from rigs import drivers
        from rigs.polling import hooks
        from rigs.web import ready as store

        from . import across, definition, ready, render
        from .models import PageSection

        definition.add_sections(drivers.page_sections(), drivers.page_joins())

        hooks.wanted_sections.register(render.sections_in_use)
        store.register(ready.PAGES)  # the sections kept rig by rig, written with the Overview's tables
        hooks.after_batch.register(across.after_batch)  # those across rigs, when due
        for signal in (post_save, post_delete):  # a page edited: its tables are built again when next asked
            signal.connect(ready.edited, sender=PageSection, dispatch_uid=f"ready-page-{signal is post_save}")

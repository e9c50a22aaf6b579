from django.apps import AppConfig


class CustomPagesConfig(AppConfig):
    name = "custompages"
    verbose_name = "Custom pages"

    def ready(self):
        from rigs import drivers
        from rigs.polling import hooks

        from . import definition, render

        definition.add_sections(drivers.page_sections(), drivers.page_joins())

        hooks.wanted_sections.register(render.sections_in_use)
        hooks.after_batch.register(render.warm)  # the Summary page's inputs of the rigs just stored
        hooks.rebuild_viewed.register(render.rebuild_viewed)

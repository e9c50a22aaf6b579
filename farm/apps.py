from django.apps import AppConfig


class FarmConfig(AppConfig):
    """Sites, racks, positions, tags and maintenance; the rack map."""

    name = "farm"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from rigs.polling import hooks
        from rigs.web import scopes

        from . import mapfigures, moves, scope

        # the pages below this app (the audit log, Bulk) filter and target rigs by site, rack and tag
        scopes.register(scope.Scopes())
        hooks.after_batch.register(mapfigures.write)  # the map's rows, from the poller's batches
        moves.connect()  # rigs placed elsewhere: their ready rows and their scopes' totals written again

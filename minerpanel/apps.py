from django.apps import AppConfig


class MinerPanelConfig(AppConfig):
    name = "minerpanel"

    def ready(self):
        from . import auth  # noqa: F401  (connects the failed-login receiver)

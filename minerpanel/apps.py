from django.apps import AppConfig


class MinerPanelConfig(AppConfig):
    name = "minerpanel"

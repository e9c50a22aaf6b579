from django.apps import AppConfig


class CustomPagesConfig(AppConfig):
    name = "custompages"
    verbose_name = "Custom pages"

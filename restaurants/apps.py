from django.apps import AppConfig


class RestaurantsConfig(AppConfig):
    name = "restaurants"

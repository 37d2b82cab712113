from django.apps import AppConfig


class RestaurantsConfig(AppConfig):
    name = "restaurants"

    def ready(self):
        from corsheaders.signals import check_request_enabled

        from restaurants.cors import embed_origin_may_read

        check_request_enabled.connect(embed_origin_may_read, dispatch_uid="restaurants.cors")

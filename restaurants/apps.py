from django.apps import AppConfig


class RestaurantsConfig(AppConfig):
    name = "restaurants"

    def ready(self):
        from corsheaders.signals import check_request_enabled

        from accounts.account_cache import account_entry_part
        from restaurants.cors import embed_origin_may_read
        from restaurants.selectors import staff_roles_read

        check_request_enabled.connect(embed_origin_may_read, dispatch_uid="restaurants.cors")
        # A token's request reads the staff roles with the account, in one cache read.
        account_entry_part("staff_roles", staff_roles_read)

"""Bench-only: ``X-Bench-Cold: 1`` bumps the availability version of the asked day before the
view runs, so every such request is answered from the database (the uncached path)."""

from datetime import date

from reservations.availability import availability_invalidate


class ColdAvailabilityMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.headers.get("X-Bench-Cold") == "1":
            restaurant_id = int(request.path.split("/")[3])
            day = date.fromisoformat(request.GET["date"])
            availability_invalidate(restaurant_id=restaurant_id, dates=[day])
        return self.get_response(request)

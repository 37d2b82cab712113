"""Reading /metrics in tests: scrape it as Prometheus would and look samples up by name and
labels."""

from prometheus_client.parser import text_string_to_metric_families

TOKEN = "metrics-test-token-0123456789"


class Scrape:
    def __init__(self, text: str):
        self.samples: dict[tuple[str, frozenset], float] = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                self.samples[(sample.name, frozenset(sample.labels.items()))] = sample.value

    def value(self, name: str, **labels: str) -> float:
        """The sample's value, 0 when it was never counted."""
        return self.samples.get((name, frozenset(labels.items())), 0.0)


def scrape(client) -> Scrape:
    """GET /metrics with the test token (the caller sets settings.METRICS_TOKEN = TOKEN)."""
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("text/plain")
    return Scrape(response.content.decode())

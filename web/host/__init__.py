"""The host stand: the screen a restaurant's hosts and managers keep open through a service
(docs/host-stand.md). Pages over the same services and selectors as the API."""

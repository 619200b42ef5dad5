"""The API's routers, one module per resource; ``services.alerts.api.create_app`` wires them."""

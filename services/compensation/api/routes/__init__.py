"""The API's routers, one module per resource; ``services.compensation.api.create_app`` wires them."""

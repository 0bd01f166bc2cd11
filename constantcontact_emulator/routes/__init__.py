"""API endpoints, one module per resource. Each module exposes `routes`, built with api_route()."""

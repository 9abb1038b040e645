"""HTTP routers, one per resource; each endpoint names its permission in :data:`api.auth.PERMISSIONS`."""

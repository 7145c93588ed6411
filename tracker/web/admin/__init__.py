"""The operator dashboard under /admin/ of `tracker serve` (see `app.admin_mount`)."""

"""Web: the live buy-box server (Starlette) and the sample vendor site's static server."""

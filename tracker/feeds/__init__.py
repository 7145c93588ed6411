"""Product feeds: fetch, stream, match and record network feeds as observations."""

"""Scheduling: the scheduler process, its job store, the crawl runners and run recovery."""

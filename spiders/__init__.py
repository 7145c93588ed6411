"""Scrapy spiders of the tracker (thin: requests in, tracker functions, checks out)."""

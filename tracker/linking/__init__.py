"""Affiliate link health: request each listing's outbound link politely and record the result."""

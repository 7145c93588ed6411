"""Affiliate product catalog and price tracker."""

__version__ = "0.1.0"

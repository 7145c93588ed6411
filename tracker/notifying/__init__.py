"""Alerts, the shell: evaluate the rules from the store's facts, queue, and send through
Apprise (`channels.py`), retrying what a channel refused."""

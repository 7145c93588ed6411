"""Alerts, the pure part: their settings, the rules' conditions, the state machine, the text.

The store keeps each rule's state and the messages; `tracker/notifying/` evaluates the rules
after a crawl and at the scheduler, and sends the messages through Apprise.
"""

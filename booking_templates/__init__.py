"""Booking templates: how many starts of each infusion length a center keeps at each time of a weekday."""

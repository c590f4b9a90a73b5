"""Customers' identities: the SMS one-time-code check, and VIP customers."""

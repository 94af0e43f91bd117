"""Calls, legs and call control: the domain model above SIP and media."""

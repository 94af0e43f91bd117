"""Calls, legs and call control: the domain model above SIP and media (imports nothing of the ACD)."""

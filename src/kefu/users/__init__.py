"""The users slice: web users and their roles, API tokens, the agent ↔ extension bindings.

Other code calls :mod:`kefu.users.service` only; its tables (``models``) and queries
(``repo``) are the slice's own.
"""

"""The announcements slice (公告): staff post notices to every agent, chosen agents or
chosen groups (queues); agents read and acknowledge them.

Other code calls :mod:`kefu.announcements.service` only; its tables (``models``) and
queries (``repo``) are the slice's own.
"""

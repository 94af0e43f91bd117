"""The follow-ups slice (回访, 回电): callbacks and return visits, scheduled tasks on a
customer assigned to an agent or a group, with reminders, escalation when overdue and the
outcome of the call that did them.

Other code calls :mod:`kefu.followups.service` only.
"""

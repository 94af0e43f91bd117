"""The tickets slice (工单): ticket types with the workflows an admin defines, tickets with
their assignment, SLAs on a business calendar, comments, attachments and an activity log
that is never edited.

Other code calls :mod:`kefu.tickets.service` only.
"""

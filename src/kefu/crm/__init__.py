"""The CRM slice: customers (found by phone number: the screen pop) and their contact
history (the wrap-up notes).  Tickets come here later.

Other code calls :mod:`kefu.crm.service` only; its tables (``models``) and queries
(``repo``) are the slice's own.
"""

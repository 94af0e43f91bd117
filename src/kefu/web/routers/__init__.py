"""One router per area, mounted under ``/api/v1`` by :func:`kefu.web.create_app`."""

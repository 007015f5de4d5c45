"""The views of the public site (see ``zhenggai.public.urls``)."""

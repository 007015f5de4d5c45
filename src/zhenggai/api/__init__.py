"""The JSON API ``/api/v1/`` (django-ninja, OpenAPI 3.1): the same services and selectors as the
staff pages, for the other systems of a county (OA, 督办 platforms, a province's dashboard).

Layout: ``main`` builds the ``NinjaAPI`` (auth, error handlers, routers); ``auth`` checks the
token; ``errors`` is the one error shape; ``pagination`` the keyset cursor; ``routes/`` one
module per resource. Nothing here holds a rule: ``ledger.policy`` decides, services write.
"""

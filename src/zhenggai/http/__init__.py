"""The toolkit every audience (staff pages, the public site, the API) shares, below them and
above the domain apps: the client address, request ids and security headers
(``middleware``), the answer to a refused service call and its recording (``errors``), the
keeper of uploads between a preview and its confirmation (``uploads``), and the type of a
logged-in user's request (``authed``)."""

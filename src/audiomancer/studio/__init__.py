"""The studio: a local web page to listen to, rate and evolve patterns and synths.

``audiomancer studio`` starts it (:func:`audiomancer.studio.server.serve`). Starlette on uvicorn,
JSON endpoints under ``/api/``, plain HTML/CSS/JavaScript modules in ``static/``.
"""

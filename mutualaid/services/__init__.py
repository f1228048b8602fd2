"""What users do. Services validate business rules, change the session and ``flush()``;
they never commit: the request, job or command that calls them does. The one exception is a
matching run (:func:`matching_runs.execute_run`), which owns its transactions.

Shared helpers (a row by id, a page of a list, field errors, rows by slug) are in :mod:`.common`.
"""

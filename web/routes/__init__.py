"""The stored side of the app: sign-in, the therapist's review pages, the patient's own pages,
exports and video uploads, one `APIRouter` per area (`create_app` mounts them with a store).

Server-rendered Jinja2 pages with SVG charts (web/charts.py); a little JavaScript only for the
skeleton replay and the upload progress. Every route that returns patient data goes through
`access.patient_for` (their therapist, or the patient), and tests/web/test_access.py proves
another user is refused on each. The store, the upload jobs and who is signed in come from
the dependencies in deps.py; what several areas share is in pages.py.
"""

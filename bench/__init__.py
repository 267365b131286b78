"""`make bench`: seed a large organization, then measure what issue 2 ("Speed") asks for.

- seed.py     bulk-inserts 40 secondary units, 400 branches, 8,000 members with accounts and
              20,000 past 党费减免 requests with their timelines (plus requests pending in inboxes);
- throughput.py  serves the app and a bare Flask route (bare.py) with gunicorn (2 sync workers)
              and loads both with wrk: the 待办 page of the 校党委 user with filters, in req/s, and
              its ratio to the bare route (issue 7 §6: at least 30%);
- pages.py    times the 待办 inbox and the request page in-process (Flask test client, real app);
- worker.py   runs a real `flask worker`, times final approval → downloadable PDF, and samples the
              worker's memory over 200 renders;
- report.py   prints each figure next to its target.

It is a report, not a test: it exits 0 whether the targets are met or not.
"""

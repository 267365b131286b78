"""Generated PDF documents: rendering (render.py), the archive (storage.py), and the jobs (jobs.py)."""

"""The framework's ceiling for ``bench/bench_http.py``: one Django view, nothing else."""

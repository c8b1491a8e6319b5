# Shortcuts for the commands in tasks.py (which needs only Python 3.11+ and pip).
.PHONY: demo test ui benchmark
demo:
	python3 tasks.py demo
test:
	python3 tasks.py test
ui:
	python3 tasks.py ui
benchmark:
	.venv/bin/python benchmarks/season_benchmark.py

"""Reads a run's latency.hlog with the PyPI `hdrhistogram` package's HistogramLogReader (code no one here wrote) and
prints, as JSON, the intervals' sum: its count and its p50, p90, p99, p99.9 and max in microseconds.
Usage: .build/venv/bin/python Tests/CrossChecks/hlog_read.py FOLDER/latency.hlog"""
import json, sys
from hdrh.histogram import HdrHistogram
from hdrh.log import HistogramLogReader

HOUR_US = 3600 * 1000 * 1000
total = HdrHistogram(1, HOUR_US, 3)
reader = HistogramLogReader(sys.argv[1], HdrHistogram(1, HOUR_US, 3))
intervals = 0
while (h := reader.get_next_interval_histogram()) is not None:
    intervals += 1
    total.add(h)
print(json.dumps({"intervals": intervals, "count": total.get_total_count(), "max": total.get_max_value(),
                  **{f"p{p:g}": total.get_value_at_percentile(p) for p in (50, 90, 99, 99.9)}}))

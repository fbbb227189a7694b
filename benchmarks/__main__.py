"""`make bench`: every benchmark in turn (see benchmarks/README.md)."""

from benchmarks import cli_latency

print("== CLI latency")
cli_latency.run()
try:
    from benchmarks import load_server
except ImportError:
    load_server = None
if load_server is not None and hasattr(load_server, "main"):
    print("\n== Server load")
    load_server.main([])

"""Benchmarks of asyncwfm against peer libraries; results go to docs/benchmarks.md."""

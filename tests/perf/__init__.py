"""On-demand benchmarks (`python -m tests.perf`): ratios against baselines of the same run."""

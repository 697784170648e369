"""Benchmarks (not tests): `python -m bench all|trace|train` prints figures as
ratios against bare PyTorch measured in the same run, so a noisy machine moves
both sides of each ratio together."""

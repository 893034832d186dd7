"""Pandera schemas of the coded dataset (mentions, events, acled_events, documents) and the standards' codebooks.

This package imports nothing from ``coding``; ``coding`` imports it.
"""

SCHEMA_VERSION = "1.2.0"

__all__ = ["SCHEMA_VERSION"]

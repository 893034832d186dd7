"""Rule-based CAMEO and ACLED event coder and dataset builder."""

__version__ = "0.1.0"

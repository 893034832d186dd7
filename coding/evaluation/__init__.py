"""Evaluation against human-coded gold sets: read and recognise the sets, score, report."""

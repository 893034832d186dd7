"""The coders: each fills one concern of a sentence from its own rules file(s)."""

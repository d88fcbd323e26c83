"""Suggest algorithms: ``suggest(new_ids, domain, trials, seed) -> [trial documents]``."""

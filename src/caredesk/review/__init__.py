"""Human sign-off: drafts with versions and diffs, four-eyes approval, the review queue."""

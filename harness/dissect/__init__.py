"""dissect."""

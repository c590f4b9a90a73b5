"""`make run`: trains the model when its inputs changed, migrates, starts every process and watches them."""

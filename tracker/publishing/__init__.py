"""Publishing: the buy-box view model, its HTML, and the articles it is spliced into."""

"""One module per page: the page function and that page's state."""

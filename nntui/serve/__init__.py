"""`nntui serve`: the app in web browsers, through textual-serve."""

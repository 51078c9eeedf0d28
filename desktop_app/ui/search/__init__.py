"""Message search: the search window and its hit excerpts."""

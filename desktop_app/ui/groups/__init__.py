"""Groups: the group list, the quick switcher and the dialogs that create and change groups."""

"""Small reusable widgets shared by the feature folders."""

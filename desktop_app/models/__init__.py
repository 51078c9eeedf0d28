"""Qt item models fed by the session core, and the bridge that turns core events into signals."""

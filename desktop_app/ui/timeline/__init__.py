"""The chat timeline: the message list, its delegate and the window over the newest rows."""

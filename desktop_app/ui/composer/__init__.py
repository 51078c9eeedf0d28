"""The composer: where the user writes, edits and replies."""

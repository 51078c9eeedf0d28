"""App-level dialogs: sign-in, diagnostics, undeliverable messages, the sign-out prompt."""

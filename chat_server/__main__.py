"""`python -m chat_server`: the same as the `chat-server` command."""

import sys

from chat_server.cli import main

sys.exit(main())

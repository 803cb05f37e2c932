"""Modal screens: help, SIGKILL confirmation, demo picker, write/push dialogs."""

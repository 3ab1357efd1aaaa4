"""The errors mrlens raises on bad input: each message names the config key or the file."""


class MrlensError(Exception):
    """Base class: a problem with the user's input, reported in one line."""


class ConfigError(MrlensError):
    """The configuration is invalid; the message names the key."""


class DataError(MrlensError):
    """A data source or file is missing, empty or malformed; the message names it."""

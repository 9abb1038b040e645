"""Placeholder replaced below."""

def add_sweep_parser(sub) -> None:
    pass


def sweep_command(args) -> int:
    return 0

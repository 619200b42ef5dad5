"""Service entry point; implemented by this service's issue."""


def main() -> None:
    raise NotImplementedError("this service is not implemented yet")

"""Run the command-line interface with ``python -m asyncwfm``."""

from asyncwfm.cli import main

if __name__ == "__main__":
    main()

"""``python -m cablegram``: the command line (see ``cablegram.cli``)."""

from cablegram.cli import main

if __name__ == "__main__":
    main()

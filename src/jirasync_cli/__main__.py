"""``python -m jirasync_cli``: the CLI, with a lean path for supervised workers."""

import sys


def _run() -> None:
    args = sys.argv[1:]
    # `run-worker <name> --ipc-fd N` is how the supervisor starts each pair: skip the CLI
    # framework (and its memory) for it. Anything else goes through the full CLI.
    if len(args) == 4 and args[0] == "run-worker" and args[2] == "--ipc-fd" and args[3].isdigit():
        from jirasync_cli.runtime.worker import supervised_main

        sys.exit(supervised_main(args[1], int(args[3])))
    from jirasync_cli.cli import main

    main()


if __name__ == "__main__":
    _run()

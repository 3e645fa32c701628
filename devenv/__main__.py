try:
    from devenv.entry import run
except KeyboardInterrupt:  # a Ctrl-C while the entry module itself loads: no traceback either
    import os

    os.write(2, b"\ninterrupted\n")
    os._exit(130)

run()

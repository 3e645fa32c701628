from devenv.entry import run

run()

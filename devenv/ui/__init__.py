"""`devenv ui`: a live dashboard of the project's stack, served on 127.0.0.1.

Starlette and uvicorn come with the `ui` extra (`pip install 'devenv-stack[ui]'`); nothing on
the `up`, `status` or `down` paths imports this package. Only `guard`, `logbuf` and the domain
readers are free of them.
"""

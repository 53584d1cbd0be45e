"""The sandbox: a local GitHub emulator on 127.0.0.1 for tests, demos and release rehearsals."""

# build fragment for tests/bench

# build fragment for tests/fuzz

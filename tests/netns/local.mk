# build fragment for tests/netns

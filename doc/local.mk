# build fragment for doc

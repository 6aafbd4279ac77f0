# build fragment for man

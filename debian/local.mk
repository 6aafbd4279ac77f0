# build fragment for debian

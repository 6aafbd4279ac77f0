# unit tests of src/priv

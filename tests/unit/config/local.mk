# unit tests of src/config

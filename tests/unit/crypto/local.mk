# unit tests of src/crypto
